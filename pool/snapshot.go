//go:build linux

package pool

import (
	"errors"
	"fmt"

	"github.com/dustin/go-humanize"

	"github.com/dmctl/dmctl/dmctl"
)

// CreateSnapshot creates thin device id as a snapshot of origin (the base
// device when origin is ""), of size bytes (0: the origin's size; a larger
// size only lengthens the new device's table, the filesystem is not
// grown). It refuses when the pool has less free space than
// dm.min_free_space, as Docker did. An active origin is suspended around
// create_snap and always resumed, also on error.
func (p *Pool) CreateSnapshot(id, origin string, size uint64) (DeviceMeta, error) {
	if origin == "" {
		origin = BaseID
	}
	if err := p.names.ValidateID(id); err != nil {
		return DeviceMeta{}, err
	}
	if err := p.forThinChange(); err != nil {
		return DeviceMeta{}, err
	}
	if _, err := p.store.ReadDevice(id); err == nil {
		return DeviceMeta{}, fmt.Errorf("create snapshot %s: %w", id, ErrDeviceExists)
	} else if !errors.Is(err, ErrDeviceNotFound) {
		return DeviceMeta{}, err
	}
	if _, err := p.env.DM.Info(p.names.Device(id)); err == nil {
		return DeviceMeta{}, fmt.Errorf("create snapshot %s: device-mapper device %s: %w", id, p.names.Device(id), ErrDeviceExists)
	} else if !isNoDevice(err) {
		return DeviceMeta{}, err
	}
	om, err := p.liveDevice(origin)
	if err != nil {
		return DeviceMeta{}, fmt.Errorf("create snapshot %s: origin: %w", id, err)
	}
	if om.ID == BaseID && !om.Initialized {
		return DeviceMeta{}, fmt.Errorf("create snapshot %s: the base device has no filesystem yet (run activate)", id)
	}
	size, err = snapshotSize(size, om)
	if err != nil {
		return DeviceMeta{}, fmt.Errorf("create snapshot %s: %w", id, err)
	}
	if err := p.checkFreeSpace(); err != nil {
		return DeviceMeta{}, err
	}
	return p.createThin(DeviceMeta{ID: id, Size: size, Origin: origin, CreatedAt: p.env.now().UTC()}, &om)
}

// OverProvisionWarning returns a warning when a device of size bytes
// would be larger than the pool's whole data space, or "". Thin devices
// may add up to more than the pool (that is thin provisioning, and what
// Docker's defaults do), so no size is refused for it; but one device
// larger than the whole pool is more likely a slip of the unit (1P for
// 1G), and fills the pool long before it is full itself: say so, as LVM
// does.
func (p *Pool) OverProvisionWarning(size uint64) string {
	st, err := p.poolStatus()
	if err != nil || st.Failed {
		return ""
	}
	_, table, err := p.poolTable()
	if err != nil {
		return ""
	}
	data := st.TotalDataBlocks * table.BlockSectors * SectorBytes
	if data == 0 || size <= data {
		return ""
	}
	return fmt.Sprintf("device size %s is larger than pool %s's data space (%s): writes beyond that fill the pool (grow it with dmctl pool extend)",
		humanize.IBytes(size), p.names.Pool, humanize.IBytes(data))
}

// snapshotSize checks a snapshot's size against its origin's.
func snapshotSize(size uint64, origin DeviceMeta) (uint64, error) {
	switch {
	case size == 0:
		return origin.Size, nil
	case size < origin.Size:
		return 0, fmt.Errorf("size %d is smaller than origin %s (%d bytes)", size, origin.ID, origin.Size)
	case size%SectorBytes != 0:
		return 0, fmt.Errorf("size %d is not a multiple of %d bytes", size, SectorBytes)
	}
	return size, nil
}

// checkFreeSpace refuses a new device when the pool is not writable or has
// less free space than dm.min_free_space (Docker's poolHasFreeSpace).
func (p *Pool) checkFreeSpace() error {
	st, err := p.poolStatus()
	if err != nil {
		return err
	}
	if err := p.modeError(st, "create a device"); err != nil {
		return err
	}
	if st.NeedsCheck {
		return fmt.Errorf("pool %s needs a metadata check (thin_check) before it can take new devices", p.names.Pool)
	}
	return freeSpaceError(st, uint64(p.rec.Config.MinFreeSpacePercent))
}

// freeSpaceError applies the minimum free space rule to a pool status,
// with Docker's wording.
func freeSpaceError(st PoolStatus, pct uint64) error {
	if pct == 0 {
		return nil
	}
	minData := max(st.TotalDataBlocks*pct/100, 1)
	if free := st.FreeDataBlocks(); free < minData {
		//lint:ignore ST1005 Docker's own wording, which admins search for
		return fmt.Errorf("Thin Pool has %v free data blocks which is less than minimum required %v free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior: %w",
			free, minData, ErrNoSpace)
	}
	minMeta := max(st.TotalMetaBlocks*pct/100, 1)
	if free := st.FreeMetaBlocks(); free < minMeta {
		//lint:ignore ST1005 Docker's own wording, which admins search for
		return fmt.Errorf("Thin Pool has %v free metadata blocks which is less than minimum required %v free metadata blocks. Create more free metadata space in thin pool or use dm.min_free_space option to change behavior: %w",
			free, minMeta, ErrNoSpace)
	}
	return nil
}

// quiesceOrigin suspends an active origin for create_snap, first
// cancelling a pending deferred removal (which would otherwise race the
// suspend), as Docker did. The returned function resumes it and, if a
// deferred removal was cancelled, schedules it again; it must always be
// called.
func (p *Pool) quiesceOrigin(origin DeviceMeta) (resume func() error, err error) {
	name := p.names.Device(origin.ID)
	nothing := func() error { return nil }
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return nothing, nil
		}
		return nil, fmt.Errorf("origin %s: %w", name, err)
	}
	redefer := false
	if info.DeferredRemove() {
		if _, err := p.env.DM.Message(name, 0, "@cancel_deferred_remove"); err != nil {
			if isNoDevice(err) {
				return nothing, nil // it went meanwhile
			}
			return nil, fmt.Errorf("origin %s: %w", name, err)
		}
		redefer = true
	}
	after := func() error {
		if !redefer {
			return nil
		}
		if _, err := p.env.DM.Remove(name, dmctl.RemoveOptions{Deferred: true}); err != nil && !isNoDevice(err) {
			return fmt.Errorf("origin %s: %w", name, err)
		}
		return nil
	}
	if !info.LiveTable() || info.Suspended() {
		return after, nil
	}
	resumeOrigin, err := p.suspend(name, dmctl.SuspendOptions{})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("suspend origin %s: %w", name, err), after())
	}
	return func() error {
		var errs []error
		if err := resumeOrigin(); err != nil {
			errs = append(errs, fmt.Errorf("resume origin %s: %w", name, err))
		}
		return errors.Join(append(errs, after())...)
	}, nil
}

// Removal says what became of one device RemoveSnapshot was given.
type Removal struct {
	ID string
	// Deferred is set when the device was busy and deferred removal was
	// asked for: it is marked deleted and goes once its last user closes
	// it (at a later activate, snapshot removal or deferred-deletion pass).
	Deferred bool
}

// RemoveSnapshot deletes thin devices: for each, when dm.blkdiscard is on
// its blocks are discarded first (so a loop pool's file gives the space
// back), its device-mapper device is removed, and its thin id is deleted
// in a transaction. All ids are checked before anything is done: unknown
// ids, the base device (removed only with the whole pool) and, unless
// deferred, devices that are open are refused, naming the holder. With
// deferred, a busy device is removed when its last user closes it and its
// thin id deleted later. Removing a device that others were snapshotted
// from is allowed: dm-thin snapshots share blocks by reference count and
// do not depend on their origin; their recorded origin then names a
// device that is gone. It stops at the first failure and returns what was
// done until then.
func (p *Pool) RemoveSnapshot(ids []string, deferred bool) ([]Removal, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("remove snapshot: no device ids given")
	}
	if err := p.forThinChange(); err != nil {
		return nil, err
	}
	metas := make([]DeviceMeta, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	var errs []error
	for _, id := range ids {
		if seen[id] {
			errs = append(errs, fmt.Errorf("device %s given twice", id))
			continue
		}
		seen[id] = true
		if id == BaseID {
			errs = append(errs, fmt.Errorf("the base device is removed only with the whole pool (destroy)"))
			continue
		}
		if err := p.names.ValidateID(id); err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := p.store.ReadDevice(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !deferred {
			if err := p.checkNotHeld(id); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := p.refuseSuspended("remove "+id, p.names.Pool, p.names.Device(id)); err != nil {
			errs = append(errs, err)
			continue
		}
		metas = append(metas, m)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var done []Removal
	for _, m := range metas {
		d, err := p.removeDevice(m, deferred)
		if err != nil {
			return done, err
		}
		done = append(done, Removal{ID: m.ID, Deferred: d})
	}
	return done, nil
}

// checkNotHeld returns an error naming what holds the device of id open.
func (p *Pool) checkNotHeld(id string) error {
	name := p.names.Device(id)
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return err
	}
	if info.OpenCount == 0 {
		return nil
	}
	if err := p.holdersError(name, info.Dev); err != nil {
		return err
	}
	return fmt.Errorf("device %s is open (open count %d): %w", name, info.OpenCount, ErrInUse)
}

// removeDevice discards (when configured), deactivates and deletes one
// device, the first two inside the delete's transaction (see
// deleteThinAfter).
func (p *Pool) removeDevice(m DeviceMeta, deferred bool) (bool, error) {
	return p.deleteThinAfter(m, deferred, func() (bool, error) {
		discarded := p.rec.Config.Discard() && p.discard(m)
		return discarded, p.deactivate(m.ID, deferred)
	})
}

// discard gives a device's blocks back to the pool and, through the pool's
// discard passdown, to the loop file: the device is activated if needed,
// the whole of it discarded and filesystems synced (without that, the
// removal that follows sometimes found the device busy). A device that is
// open is skipped. Failures are not fatal, as in Docker: deleting the
// thin id frees its pool blocks anyway; only the loop file keeps them.
func (p *Pool) discard(m DeviceMeta) (discarded bool) {
	name := p.names.Device(m.ID)
	if info, err := p.env.DM.Info(name); err == nil && info.OpenCount > 0 {
		return false
	}
	if _, err := p.activateDevice(m); err != nil {
		return false
	}
	// Even a discard that fails half-way may have dropped blocks.
	err := p.env.Sys.Discard(mapperDir+name, 0, m.Size)
	if err == nil {
		p.env.Sys.Sync()
	}
	return true
}
