//go:build linux

package pool

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/dmctl/dmctl/pool/thinmeta"
)

// ThinView is the pool's own view of its thin devices, read online from a
// metadata snapshot: every thin id with its usage (what thin_ls -m shows).
type ThinView struct {
	TransactionID uint64                       // of the snapshot's superblock
	Devices       map[int]thinmeta.DeviceUsage // by thin id
}

// ReadThinView reserves a metadata snapshot (reserve_metadata_snap), reads
// every thin device's mapped, exclusive and shared blocks from it on the
// metadata device, and releases it (see readMetadataSnapshot).
func (p *Pool) ReadThinView() (view ThinView, retErr error) {
	err := p.readMetadataSnapshot(func(m *thinmeta.Metadata) error {
		usage, err := m.Usage()
		if err != nil {
			return err
		}
		view.TransactionID = m.Superblock().TransactionID
		view.Devices = make(map[int]thinmeta.DeviceUsage, len(usage))
		for _, u := range usage {
			view.Devices[int(u.Details.ID)] = u
		}
		return nil
	})
	return view, err
}

// readMetadataSnapshot reserves a metadata snapshot (reserve_metadata_snap,
// which commits first), hands fn a view of it on the metadata device, and
// releases it. The live pool is not suspended: the snapshot is a
// consistent copy the kernel keeps until it is released; it has the
// device-details and mapping trees but no space maps.
//
// A pool has one metadata snapshot, so its users take turns: each holds
// metadata/.dmctl.msnap.lock while it reserves, reads and releases, and
// notes the reservation in it first, so that a snapshot left held by a
// dmctl killed meanwhile is released by the next user (or the next
// command, see recoverStalled). A snapshot held by another program is
// left alone and reported (ErrMetadataSnapHeld). A pool whose mode keeps
// it from reserving one (failed) is reported by mode; a read-only pool
// needs none: fn gets its live metadata, which it does not change.
func (p *Pool) readMetadataSnapshot(fn func(*thinmeta.Metadata) error) (retErr error) {
	if err := p.requireActive(); err != nil {
		return err
	}
	_, table, err := p.poolTable()
	if err != nil {
		return err
	}
	metaPath := blockPath(table.MetadataDev)
	if metaPath == "" {
		return fmt.Errorf("pool %s: cannot find the node of its metadata device %s", p.names.Pool, table.MetadataDev)
	}
	ml, err := p.store.lockFile(msnapLockFileName, true, p.env.lockTimeout())
	if err != nil {
		return fmt.Errorf("pool %s metadata snapshot: %w", p.names.Pool, err)
	}
	defer ml.Release()
	st, err := p.poolStatus()
	if err != nil {
		return err
	}
	if st.HasHeldRoot {
		if err := p.releaseNotedSnap(ml); err != nil {
			return err
		}
		if st, err = p.poolStatus(); err != nil {
			return err
		}
		if st.HasHeldRoot {
			return fmt.Errorf("pool %s: its metadata snapshot (block %d) is held by another program, not dmctl: "+
				"when that program is done, release it (dmctl message %s 0 release_metadata_snap): %w",
				p.names.Pool, st.HeldMetadataRoot, p.names.Pool, ErrMetadataSnapHeld)
		}
	}
	if err := p.metadataReadable(st); err != nil {
		return err
	}
	if st.Mode == PoolModeReadOnly {
		// No snapshot can be reserved (that is a metadata commit), but
		// none is needed: a read-only pool commits nothing, so the
		// metadata on the device is the last commit, and stays so.
		f, err := thinmeta.OpenDevice(metaPath)
		if err != nil {
			return fmt.Errorf("pool %s metadata: %w", p.names.Pool, err)
		}
		defer f.Close()
		if err := fn(f.Metadata); err != nil {
			return fmt.Errorf("pool %s metadata: %w", p.names.Pool, err)
		}
		return nil
	}
	done := ml.note(noteReserve, p.names.Pool)
	if _, err := p.env.DM.Message(p.names.Pool, 0, "reserve_metadata_snap"); err != nil {
		done()
		return fmt.Errorf("pool %s: %w", p.names.Pool, p.withMode(err))
	}
	crashPoint("msnap:reserved")
	defer func() {
		if _, err := p.env.DM.Message(p.names.Pool, 0, "release_metadata_snap"); err != nil && !isNotHeld(err) {
			retErr = errors.Join(retErr, fmt.Errorf("pool %s: %w", p.names.Pool, err))
			return
		}
		done()
	}()
	f, err := thinmeta.OpenDevice(metaPath)
	if err != nil {
		return fmt.Errorf("pool %s metadata: %w", p.names.Pool, err)
	}
	defer f.Close()
	snap, err := f.Snapshot()
	if errors.Is(err, thinmeta.ErrNoMetadataSnap) {
		// The kernel reserved it, so the superblock on the device names
		// it, unless the device dropped that write.
		err = fmt.Errorf("the metadata device does not hold the snapshot the kernel just reserved: it is losing writes: %w", thinmeta.ErrCorrupt)
	}
	if err != nil {
		return fmt.Errorf("pool %s metadata snapshot: %w", p.names.Pool, err)
	}
	if err := fn(snap); err != nil {
		return fmt.Errorf("pool %s metadata snapshot: %w", p.names.Pool, err)
	}
	return nil
}

// isNotHeld reports whether a release_metadata_snap failed because no
// snapshot was held (the kernel says EINVAL).
func isNotHeld(err error) bool { return errors.Is(err, syscall.EINVAL) }
