package dmctl

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNoDevice matches errors for a device that does not exist (ENXIO).
var ErrNoDevice = errors.New("no such device")

// dm_ioctl flags used only in requests.
const (
	flagPersistentDev   = 1 << 3
	flagStatusTable     = 1 << 4
	flagSkipLockFS      = 1 << 10
	flagNoFlush         = 1 << 11
	flagQueryInactive   = 1 << 12
	flagUUID            = 1 << 14
	flagDeferredRemove  = 1 << 17
	minIoctlForPrefixes = 45 // 4.45: LIST_DEVICES filters by name/uuid prefix
)

// removeRetries and removeRetryDelay bound the retry of a busy removal
// (Docker retried 200 times 100 ms apart; libdm's --retry 25 times).
const (
	removeRetries    = 50
	removeRetryDelay = 100 * time.Millisecond
)

func wrapNoDevice(err error) error {
	var e *Error
	if errors.As(err, &e) && errors.Is(e.Err, unix.ENXIO) {
		e.Err = fmt.Errorf("%w (%w)", ErrNoDevice, e.Err)
	}
	return err
}

// Version asks the kernel for its ioctl interface version.
func (c *Control) Version() (Version, error) {
	r, err := c.run(&request{cmd: unix.DM_VERSION, op: "version"}, nil)
	return r.version, err
}

// ListOptions select what List returns.
type ListOptions struct {
	UUIDs      bool   // also return each device's uuid (ioctl 4.46+)
	NamePrefix string // only devices whose name starts with this
}

// List returns the kernel's devices, in the kernel's order. A name prefix is
// passed to the kernel when it can filter (ioctl 4.45+) and applied here in
// any case. One request serves: the reply gives each device's name, number,
// event number and (with UUIDs) uuid, so callers need not ask per device
// for those.
func (c *Control) List(opts ListOptions) ([]NameEntry, error) {
	r := &request{cmd: unix.DM_LIST_DEVICES, op: "list devices", sizing: sizeList}
	if opts.UUIDs {
		r.flags |= flagUUID
	}
	if opts.NamePrefix != "" && c.version.AtLeast(4, minIoctlForPrefixes, 0) && len(opts.NamePrefix) < nameLen {
		r.name = opts.NamePrefix
	}
	var entries []NameEntry
	_, err := c.run(r, func(rep reply) error {
		var err error
		if entries, err = decodeNameList(rep.data); err != nil {
			return &Error{Op: "list devices", Err: err}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opts.NamePrefix == "" {
		return entries, nil
	}
	out := entries[:0]
	for _, e := range entries {
		if len(e.Name) >= len(opts.NamePrefix) && e.Name[:len(opts.NamePrefix)] == opts.NamePrefix {
			out = append(out, e)
		}
	}
	return out, nil
}

// Create creates a device with no table; Load and Resume give it one. A
// name or uuid already in use fails with EBUSY (the kernel's answer).
func (c *Control) Create(name, uuid string, readOnly bool) (DeviceInfo, error) {
	if err := checkName(name); err != nil {
		return DeviceInfo{}, &Error{Op: "create", Device: name, Err: err}
	}
	r := &request{cmd: unix.DM_DEV_CREATE, op: "create", name: name, uuid: uuid}
	if readOnly {
		r.flags |= FlagReadOnly
	}
	rep, err := c.run(r, nil)
	return rep.info, err
}

// checkName applies the kernel's rules for device names (see
// ValidateName), so that a bad name fails with a clear message that still
// matches EINVAL.
func checkName(name string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("%w: %w", unix.EINVAL, err)
	}
	return nil
}

// Load loads a table into the device's inactive slot; Resume makes it live.
func (c *Control) Load(name string, targets []Target, readOnly bool) (DeviceInfo, error) {
	payload, err := encodeTargets(targets)
	if err != nil {
		return DeviceInfo{}, &Error{Op: "table load", Device: name, Err: fmt.Errorf("%w: %w", unix.EINVAL, err)}
	}
	r := &request{cmd: unix.DM_TABLE_LOAD, op: "table load", name: name,
		targetCount: uint32(len(targets)), payload: payload}
	if readOnly {
		r.flags |= FlagReadOnly
	}
	rep, err := c.run(r, nil)
	return rep.info, wrapNoDevice(err)
}

// ClearTable drops the device's inactive table.
func (c *Control) ClearTable(name string) (DeviceInfo, error) {
	rep, err := c.run(&request{cmd: unix.DM_TABLE_CLEAR, op: "table clear", name: name}, nil)
	return rep.info, wrapNoDevice(err)
}

// Suspend suspends the device: I/O is queued until it is resumed.
func (c *Control) Suspend(name string, opts SuspendOptions) (DeviceInfo, error) {
	r := &request{cmd: unix.DM_DEV_SUSPEND, op: "suspend", name: name, flags: FlagSuspended}
	if opts.NoFlush {
		r.flags |= flagNoFlush
	}
	if opts.NoLockFS {
		r.flags |= flagSkipLockFS
	}
	rep, err := c.run(r, nil)
	return rep.info, wrapNoDevice(err)
}

// Resume resumes the device, making an inactive table live if one was
// loaded, and makes sure /dev/mapper/<name> exists.
func (c *Control) Resume(name string) (DeviceInfo, error) {
	return c.resume(name, 0)
}

func (c *Control) resume(name string, flags Flags) (DeviceInfo, error) {
	rep, err := c.run(&request{cmd: unix.DM_DEV_SUSPEND, op: "resume", name: name, flags: flags}, nil)
	if err != nil {
		return rep.info, wrapNoDevice(err)
	}
	if err := c.ensureNode(name, rep.info.Dev); err != nil {
		return rep.info, err
	}
	return rep.info, nil
}

// Remove removes the device and its /dev/mapper node. With Deferred, a
// busy device is removed when its last opener closes it (the returned info
// then reports DeferredRemove). With Retry, a busy device is tried again for
// a bounded time. With Force, the live table is first replaced by an error
// target of the same size, resumed without flushing or freezing, as
// dmsetup remove --force does: whoever still has the device open gets I/O
// errors instead of hanging, and the removal goes through once they close
// it.
func (c *Control) Remove(name string, opts RemoveOptions) (DeviceInfo, error) {
	if opts.Force {
		c.wipeTable(name)
	}
	r := &request{cmd: unix.DM_DEV_REMOVE, op: "remove", name: name}
	if opts.Deferred {
		r.flags |= flagDeferredRemove
	}
	var rep reply
	var err error
	for i := 0; ; i++ {
		rep, err = c.run(r, nil)
		if err == nil || !opts.Retry || !errors.Is(err, unix.EBUSY) || i >= removeRetries {
			break
		}
		time.Sleep(removeRetryDelay)
	}
	if err != nil {
		return rep.info, wrapNoDevice(err)
	}
	if rep.info.Flags&FlagDeferredRemove == 0 {
		c.removeNode(name)
	}
	return rep.info, nil
}

// wipeTable replaces the device's live table with an error target of the
// same length and makes it live without flushing or freezing (dmsetup's
// _error_device). Like dmsetup, it is best effort: a device without a
// table, or one that cannot be reloaded, is left to the removal.
func (c *Control) wipeTable(name string) {
	_, table, err := c.Table(name, StatusOptions{})
	if err != nil {
		return
	}
	var length uint64
	for _, t := range table {
		length += t.Length
	}
	if length == 0 {
		return
	}
	if _, err := c.Load(name, []Target{{Start: 0, Length: length, Type: "error"}}, false); err != nil {
		return
	}
	if _, err := c.resume(name, flagNoFlush|flagSkipLockFS); err != nil {
		_, _ = c.ClearTable(name)
	}
}

// RemoveAll removes every device that is not open (DM_REMOVE_ALL), and
// with deferred, schedules the open ones for removal.
func (c *Control) RemoveAll(deferred bool) error {
	before, _ := c.List(ListOptions{})
	r := &request{cmd: unix.DM_REMOVE_ALL, op: "remove all"}
	if deferred {
		r.flags |= flagDeferredRemove
	}
	if _, err := c.run(r, nil); err != nil {
		return err
	}
	after, _ := c.List(ListOptions{})
	still := make(map[string]bool, len(after))
	for _, e := range after {
		still[e.Name] = true
	}
	for _, e := range before {
		if !still[e.Name] {
			c.removeNode(e.Name)
		}
	}
	return nil
}

// Rename renames the device (and its node).
func (c *Control) Rename(name, newName string) error {
	if err := checkName(newName); err != nil {
		return &Error{Op: "rename", Device: name, Err: err}
	}
	payload := append([]byte(newName), 0)
	rep, err := c.run(&request{cmd: unix.DM_DEV_RENAME, op: "rename", name: name, payload: payload}, nil)
	if err != nil {
		return wrapNoDevice(err)
	}
	c.removeNode(name)
	if rep.info.Flags&FlagActivePresent != 0 || rep.info.Dev != 0 {
		info, err := c.Info(newName)
		if err == nil && info.LiveTable() {
			return c.ensureNode(newName, info.Dev)
		}
	}
	return nil
}

// SetUUID sets the uuid of a device that has none (the kernel refuses to
// change an existing uuid).
func (c *Control) SetUUID(name, uuid string) error {
	if uuid == "" || len(uuid) >= uuidLen {
		return &Error{Op: "set uuid", Device: name, Err: fmt.Errorf("%w: uuid must be 1 to %d bytes", unix.EINVAL, uuidLen-1)}
	}
	payload := append([]byte(uuid), 0)
	_, err := c.run(&request{cmd: unix.DM_DEV_RENAME, op: "set uuid", name: name, flags: flagUUID, payload: payload}, nil)
	return wrapNoDevice(err)
}

// Info returns what the kernel knows of one device (DM_DEV_STATUS).
func (c *Control) Info(name string) (DeviceInfo, error) {
	rep, err := c.run(&request{cmd: unix.DM_DEV_STATUS, op: "info", name: name}, nil)
	return rep.info, wrapNoDevice(err)
}

// InfoByUUID returns the device with that uuid.
func (c *Control) InfoByUUID(uuid string) (DeviceInfo, error) {
	rep, err := c.run(&request{cmd: unix.DM_DEV_STATUS, op: "info", uuid: uuid}, nil)
	return rep.info, wrapNoDevice(err)
}

// InfoByDev returns the device with that device number.
func (c *Control) InfoByDev(dev Dev) (DeviceInfo, error) {
	rep, err := c.run(&request{cmd: unix.DM_DEV_STATUS, op: "info", dev: dev}, nil)
	return rep.info, wrapNoDevice(err)
}

func (c *Control) tableStatus(op, name string, flags Flags, opts StatusOptions) (DeviceInfo, []Target, error) {
	if opts.Inactive {
		flags |= flagQueryInactive
	}
	if opts.NoFlush {
		flags |= flagNoFlush
	}
	var targets []Target
	rep, err := c.run(&request{cmd: unix.DM_TABLE_STATUS, op: op, name: name, flags: flags, sizing: sizeReply},
		func(rep reply) error {
			var err error
			if targets, err = decodeTargets(rep.data, rep.info.TargetCount); err != nil {
				return &Error{Op: op, Device: name, Err: err}
			}
			return nil
		})
	if err != nil {
		return rep.info, nil, wrapNoDevice(err)
	}
	return rep.info, targets, nil
}

// Status returns each target's status text (DM_TABLE_STATUS). For a thin
// pool this commits the pool's metadata first unless opts.NoFlush is set.
func (c *Control) Status(name string, opts StatusOptions) (DeviceInfo, []Target, error) {
	return c.tableStatus("status", name, 0, opts)
}

// Table returns the device's table as the kernel reports it.
func (c *Control) Table(name string, opts StatusOptions) (DeviceInfo, []Target, error) {
	return c.tableStatus("table", name, flagStatusTable, opts)
}

// Deps returns the devices the device's live table uses.
func (c *Control) Deps(name string) (DeviceInfo, []Dev, error) {
	var devs []Dev
	rep, err := c.run(&request{cmd: unix.DM_TABLE_DEPS, op: "deps", name: name, sizing: sizeReply},
		func(rep reply) error {
			if len(rep.data) == 0 {
				return nil // no table, no dependencies
			}
			var err error
			if devs, err = decodeDeps(rep.data); err != nil {
				return &Error{Op: "deps", Device: name, Err: err}
			}
			return nil
		})
	if err != nil {
		return rep.info, nil, wrapNoDevice(err)
	}
	return rep.info, devs, nil
}

// Message sends a message to the target at sector of the device (or to
// device-mapper core when it starts with '@') and returns the target's
// reply, if any.
func (c *Control) Message(name string, sector uint64, msg string) (string, error) {
	if msg == "" {
		return "", &Error{Op: "message", Device: name, Err: fmt.Errorf("%w: empty message", unix.EINVAL)}
	}
	var out string
	_, err := c.run(&request{cmd: unix.DM_TARGET_MSG, op: "message", name: name,
		payload: encodeMessage(sector, msg), sizing: sizeReply},
		func(rep reply) error {
			if rep.info.Flags&FlagDataOut != 0 {
				out, _ = nulString(rep.data)
			}
			return nil
		})
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) {
			e.Op = "message " + quote(msg)
		}
		return "", wrapNoDevice(err)
	}
	return out, nil
}

// TargetVersions lists the target types the kernel has registered.
func (c *Control) TargetVersions() ([]TargetVersion, error) {
	var v []TargetVersion
	_, err := c.run(&request{cmd: unix.DM_LIST_VERSIONS, op: "list versions", sizing: sizeReply},
		func(rep reply) error {
			var err error
			if v, err = decodeVersions(rep.data); err != nil {
				return &Error{Op: "list versions", Err: err}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// TargetVersion returns one target type's version, loading its module if
// the kernel can (DM_GET_TARGET_VERSION, ioctl 4.41+).
func (c *Control) TargetVersion(target string) (TargetVersion, error) {
	var v []TargetVersion
	_, err := c.run(&request{cmd: unix.DM_GET_TARGET_VERSION, op: "target version", name: target, sizing: sizeReply},
		func(rep reply) error {
			var err error
			if v, err = decodeVersions(rep.data); err != nil || len(v) == 0 {
				return &Error{Op: "target version", Device: target, Err: fmt.Errorf("bad reply: %w", err)}
			}
			return nil
		})
	if err != nil {
		if e := (*Error)(nil); errors.As(err, &e) {
			e.Device = target
		}
		return TargetVersion{}, err
	}
	return v[0], nil
}

// Wait blocks until the device's event counter differs from eventNr and
// returns the device's info.
func (c *Control) Wait(name string, eventNr uint32) (DeviceInfo, error) {
	rep, err := c.run(&request{cmd: unix.DM_DEV_WAIT, op: "wait", name: name, eventNr: eventNr, sizing: sizeReply}, nil)
	return rep.info, wrapNoDevice(err)
}

// CreateDevice creates a device, loads its table and resumes it, as
// "dmsetup create" does. On any failure it removes what it created, so no
// half-made device is left behind.
func (c *Control) CreateDevice(name, uuid string, targets []Target, readOnly bool) (info DeviceInfo, retErr error) {
	if len(targets) > 0 {
		// Check the table before touching the kernel.
		if _, err := encodeTargets(targets); err != nil {
			return DeviceInfo{}, &Error{Op: "create", Device: name, Err: fmt.Errorf("%w: %w", unix.EINVAL, err)}
		}
	}
	if _, err := c.Create(name, uuid, readOnly); err != nil {
		return DeviceInfo{}, err
	}
	defer func() {
		if retErr != nil {
			if _, err := c.Remove(name, RemoveOptions{Retry: true}); err != nil {
				retErr = errors.Join(retErr, err)
			}
		}
	}()
	if len(targets) == 0 {
		return c.Info(name)
	}
	if _, err := c.Load(name, targets, readOnly); err != nil {
		return DeviceInfo{}, err
	}
	return c.Resume(name)
}
