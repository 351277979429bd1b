//go:build linux

package pool

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

// DeviceState is a thin device as the store records it and the kernel
// sees it.
type DeviceState struct {
	ID            string    // dmctl's id ("base" for the base device)
	Name          string    // device-mapper name
	DeviceID      int       // thin id in the pool
	Origin        string    // id of the device it is a snapshot of, when recorded
	Size          uint64    // bytes
	TransactionID uint64    // pool transaction that created it
	Initialized   bool      // base device: its filesystem was made
	Deleted       bool      // deletion deferred while it was busy
	CreatedAt     time.Time // zero for devices Docker made

	Active    bool      // a device-mapper device exists for it
	Dev       dmctl.Dev // when active
	OpenCount int32     // when active
	// MappedBytes is the space the device has allocated in the pool, read
	// from its status when active (MappedKnown).
	MappedBytes uint64
	MappedKnown bool
	// MountPoints are its mount points in this mount namespace.
	MountPoints []string
}

// DevicePath returns the device node of a thin device.
func (p *Pool) DevicePath(id string) string { return mapperDir + p.names.Device(id) }

// ListDevices returns every thin device of the pool, sorted by id, with
// what the kernel knows of the active ones. It works on a pool opened for
// reading (the shared lock) and when the pool is inactive.
func (p *Pool) ListDevices() ([]DeviceState, error) {
	metas, err := p.store.Devices()
	if err != nil {
		return nil, err
	}
	entries, err := p.env.DM.List(dmctl.ListOptions{NamePrefix: p.names.Prefix + "-"})
	if err != nil {
		return nil, fmt.Errorf("list devices of pool %s: %w", p.names.Pool, err)
	}
	active := make(map[string]bool, len(entries))
	for _, e := range entries {
		active[e.Name] = true
	}
	// The mount table is read once, when the first open device needs it,
	// not once a device.
	var mounts Mounts
	mountsOf := func(dev dmctl.Dev) ([]string, error) {
		if mounts == nil {
			m, err := p.env.Sys.Mounts()
			if err != nil {
				return nil, err
			}
			mounts = m
		}
		return mounts.Of(dev), nil
	}
	out := make([]DeviceState, 0, len(metas))
	for _, m := range metas {
		s := stateOf(p.names, m)
		if active[s.Name] {
			if err := p.readKernelState(&s, mountsOf); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// Device returns one thin device.
func (p *Pool) Device(id string) (DeviceState, error) {
	if err := p.names.ValidateID(id); err != nil && id != BaseID {
		return DeviceState{}, err
	}
	m, err := p.store.ReadDevice(id)
	if err != nil {
		return DeviceState{}, err
	}
	s := stateOf(p.names, m)
	if err := p.readKernelState(&s, p.env.Sys.MountPoints); err != nil {
		return DeviceState{}, err
	}
	return s, nil
}

func stateOf(n Names, m DeviceMeta) DeviceState {
	return DeviceState{ID: m.ID, Name: n.Device(m.ID), DeviceID: m.DeviceID, Origin: m.Origin, Size: m.Size,
		TransactionID: m.TransactionID, Initialized: m.Initialized, Deleted: m.Deleted, CreatedAt: m.CreatedAt}
}

// readKernelState fills in what the kernel knows of an active device, with
// the mount points of an open one from mountsOf; a device that is not
// there is left inactive.
func (p *Pool) readKernelState(s *DeviceState, mountsOf func(dmctl.Dev) ([]string, error)) error {
	info, targets, err := p.env.DM.Status(s.Name, dmctl.StatusOptions{NoFlush: true})
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return fmt.Errorf("status of %s: %w", s.Name, err)
	}
	s.Active, s.Dev, s.OpenCount = true, info.Dev, info.OpenCount
	if len(targets) == 1 && targets[0].Type == "thin" {
		if ts, err := ParseThinStatus(targets[0].Params); err == nil && !ts.Failed {
			s.MappedBytes, s.MappedKnown = ts.MappedBytes(), true
		}
	}
	if info.OpenCount > 0 {
		mps, err := mountsOf(info.Dev)
		if err != nil {
			return err
		}
		s.MountPoints = mps
	}
	return nil
}

// liveDevice returns the recorded device with that id, refusing bad ids
// and devices marked deleted.
func (p *Pool) liveDevice(id string) (DeviceMeta, error) {
	if id != BaseID {
		if err := p.names.ValidateID(id); err != nil {
			return DeviceMeta{}, err
		}
	}
	m, err := p.store.ReadDevice(id)
	if err != nil {
		return DeviceMeta{}, err
	}
	if m.Deleted {
		return DeviceMeta{}, fmt.Errorf("device %s is being deleted: %w", id, ErrDeviceNotFound)
	}
	return m, nil
}

// ActivateDevice makes the thin device's device-mapper device
// (/dev/mapper/<prefix>-<id>), with the table "0 <size/512> thin <pool
// MAJ:MIN> <thin id>". An active device is left as it is, except that a
// pending deferred removal is cancelled.
func (p *Pool) ActivateDevice(id string) (dmctl.DeviceInfo, error) {
	if err := p.writable(); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	m, err := p.liveDevice(id)
	if err != nil {
		return dmctl.DeviceInfo{}, err
	}
	if err := p.requireActive(); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	if err := p.checkClaims(); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	return p.activateDevice(m)
}

// activateDevice makes m's device-mapper device, if needed.
func (p *Pool) activateDevice(m DeviceMeta) (dmctl.DeviceInfo, error) {
	name := p.names.Device(m.ID)
	info, err := p.env.DM.Info(name)
	switch {
	case err == nil:
		if info.DeferredRemove() {
			if _, err := p.env.DM.Message(name, 0, "@cancel_deferred_remove"); err != nil && !isNoDevice(err) {
				return dmctl.DeviceInfo{}, fmt.Errorf("activate %s: %w", name, err)
			}
		}
		if info.LiveTable() {
			return info, nil
		}
		// A device left without a table (an interrupted create): make it again.
		if _, err := p.env.DM.Remove(name, removeOpts(false)); err != nil && !isNoDevice(err) {
			return dmctl.DeviceInfo{}, fmt.Errorf("activate %s: %w", name, err)
		}
	case !isNoDevice(err):
		return dmctl.DeviceInfo{}, fmt.Errorf("activate %s: %w", name, err)
	}
	pool, err := p.env.DM.Info(p.names.Pool)
	if err != nil {
		return dmctl.DeviceInfo{}, fmt.Errorf("activate %s: pool %s: %w", name, p.names.Pool, err)
	}
	t := thinTarget(m.Size/SectorBytes, pool.Dev, m.DeviceID)
	info, err = p.createDevice(name, []dmctl.Target{t})
	if err != nil {
		return dmctl.DeviceInfo{}, fmt.Errorf("activate %s: %w", name, p.withMode(err))
	}
	return info, nil
}

// DeactivateDevice removes the thin device's device-mapper device (the
// thin device itself stays in the pool). A device that is open is refused,
// naming what holds it, unless deferred is set: then it goes when its last
// user closes it. An inactive device is not an error.
func (p *Pool) DeactivateDevice(id string, deferred bool) error {
	if err := p.writable(); err != nil {
		return err
	}
	m, err := p.store.ReadDevice(id)
	if err != nil {
		return err
	}
	return p.deactivate(m.ID, deferred)
}

// deactivate removes the device-mapper device of id.
func (p *Pool) deactivate(id string, deferred bool) error {
	name := p.names.Device(id)
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return err
	}
	if info.OpenCount > 0 && !deferred {
		if err := p.holdersError(name, info.Dev); err != nil {
			return err
		}
	}
	if _, err := p.env.DM.Remove(name, removeOpts(deferred)); err != nil && !isNoDevice(err) {
		if isBusy(err) {
			return fmt.Errorf("deactivate %s: %w: %w", name, ErrInUse, err)
		}
		return fmt.Errorf("deactivate %s: %w", name, err)
	}
	return nil
}

// holdersError returns an error wrapping ErrInUse that names what holds
// the device, or nil when nothing does.
func (p *Pool) holdersError(name string, dev dmctl.Dev) error {
	hs, err := p.env.Sys.Holders(dev, devicePaths(name, dev))
	if err != nil {
		return fmt.Errorf("device %s: %w", name, err)
	}
	if len(hs) == 0 {
		return nil
	}
	words := make([]string, len(hs))
	for i, h := range hs {
		words[i] = h.String()
	}
	return fmt.Errorf("device %s is %s: %w", name, strings.Join(words, ", "), ErrInUse)
}

// Mount activates the thin device and mounts its filesystem on dir
// (default <root>/mnt/<id>, made if missing) with the pool's mount options
// (dm.mountopt) and opts; xfs also gets nouuid, since snapshots share
// their origin's filesystem UUID. It returns the mount point.
func (p *Pool) Mount(id, dir, opts string, readOnly bool) (retDir string, retErr error) {
	if err := p.writable(); err != nil {
		return "", err
	}
	m, err := p.liveDevice(id)
	if err != nil {
		return "", err
	}
	if err := p.requireActive(); err != nil {
		return "", err
	}
	if err := p.checkClaims(); err != nil {
		return "", err
	}
	if err := p.refuseSuspended("mount "+id, p.names.Pool, p.names.Device(id)); err != nil {
		return "", err
	}
	if dir == "" {
		if dir, err = p.store.MountPoint(id); err != nil {
			return "", err
		}
	}
	name := p.names.Device(id)
	wasActive := false
	if info, err := p.env.DM.Info(name); err == nil && info.LiveTable() {
		wasActive = true
	}
	info, err := p.activateDevice(m)
	if err != nil {
		return "", err
	}
	defer func() {
		if retErr != nil && !wasActive {
			retErr = errors.Join(retErr, p.deactivate(id, false))
		}
	}()
	path := mapperDir + name
	fsi, err := p.env.Sys.ProbeFilesystem(path)
	if err != nil {
		return "", fmt.Errorf("mount %s: %w", id, err)
	}
	data := mountData(fsi.Type, p.rec.Config.MountOptions, opts)
	if err := p.env.Sys.Mount(path, dir, fsi.Type, data, readOnly); err != nil {
		// The kernel refuses a second mount on the same directory, and one
		// beside a mount of the other kind (read-only beside read-write):
		// EBUSY alone does not say so.
		if mps, mpErr := p.env.Sys.MountPoints(info.Dev); isBusy(err) && mpErr == nil && len(mps) > 0 {
			return "", fmt.Errorf("mount %s on %s: already mounted on %s (umount %s first): %w",
				id, dir, strings.Join(mps, ", "), id, err)
		}
		return "", fmt.Errorf("mount %s on %s: %w", id, dir, err)
	}
	if retries := p.rec.Config.XFSNospaceMaxRetries; fsi.Type == FSXFS && retries != "" {
		// Docker's dm.xfs_nospace_max_retries: how often xfs retries a
		// metadata write the full pool refused before it shuts down.
		if err := p.env.Sys.SetXFSNospaceMaxRetries(info.Dev, retries); err != nil {
			return "", errors.Join(fmt.Errorf("mount %s: %w", id, err), p.env.Sys.Unmount(dir, true))
		}
	}
	return dir, nil
}

// mountData returns the mount options: nouuid for xfs, then the pool's,
// then the command's.
func mountData(fstype, poolOpts, opts string) string {
	var data string
	if fstype == FSXFS {
		data = "nouuid"
	}
	return joinMountOptions(joinMountOptions(data, poolOpts), opts)
}

// Umount unmounts every mount of the thin device in this mount namespace
// and deactivates it (deferred when dm.use_deferred_removal is on), as
// Docker's driver did.
func (p *Pool) Umount(id string) error {
	if err := p.writable(); err != nil {
		return err
	}
	m, err := p.store.ReadDevice(id)
	if err != nil {
		return err
	}
	name := p.names.Device(m.ID)
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return fmt.Errorf("umount %s: device is not active", id)
		}
		return err
	}
	mps, err := p.env.Sys.MountPoints(info.Dev)
	if err != nil {
		return err
	}
	if len(mps) == 0 {
		// As Docker's driver: nothing to unmount is an error, not a
		// reason to take the device away from whoever has it open.
		return fmt.Errorf("umount %s: not mounted in this mount namespace (dmctl deactivate %s removes its device)", id, id)
	}
	if err := p.refuseSuspended("umount "+id, p.names.Pool, name); err != nil {
		return err
	}
	for i := len(mps) - 1; i >= 0; i-- { // the last mount first
		if err := p.env.Sys.Unmount(mps[i], false); err != nil {
			return fmt.Errorf("umount %s: %w", id, err)
		}
	}
	return p.deactivate(m.ID, p.rec.Config.DeferredRemoval)
}
