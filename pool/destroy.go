//go:build linux

package pool

import (
	"errors"
	"fmt"

	"github.com/dmctl/dmctl/dmctl"
)

// Deactivate removes the pool's thin devices and the pool (not an adopted
// one) from device-mapper and detaches its loop devices; the pool's data
// stays and Activate brings it back. A thin device that is mounted or
// open is refused, naming what holds it, before anything is removed,
// unless force: then its mounts in this namespace are detached (lazy
// unmount) and a device still busy is removed when its last user closes
// it (deferred removal), which keeps the pool loaded until then.
func (p *Pool) Deactivate(force bool) error {
	if err := p.writable(); err != nil {
		return err
	}
	entries, err := p.env.DM.List(dmctl.ListOptions{NamePrefix: p.names.Prefix + "-"})
	if err != nil {
		return fmt.Errorf("deactivate pool %s: %w", p.names.Pool, err)
	}
	type held struct {
		name string
		info dmctl.DeviceInfo
	}
	var devs []held
	var errs []error
	for _, e := range entries {
		if e.Name == p.names.Pool {
			continue
		}
		info, err := p.env.DM.Info(e.Name)
		if err != nil {
			if !isNoDevice(err) {
				errs = append(errs, err)
			}
			continue
		}
		if info.OpenCount > 0 && !force {
			if err := p.holdersError(e.Name, info.Dev); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		devs = append(devs, held{e.Name, info})
	}
	if len(errs) > 0 {
		return fmt.Errorf("deactivate pool %s: %w", p.names.Pool, errors.Join(errs...))
	}
	deferredLeft := false
	for _, d := range devs {
		if d.info.OpenCount > 0 && force {
			if mps, err := p.env.Sys.MountPoints(d.info.Dev); err == nil {
				for i := len(mps) - 1; i >= 0; i-- {
					p.env.Sys.Unmount(mps[i], true)
				}
			}
		}
		_, err := p.env.DM.Remove(d.name, removeOpts(false))
		if err != nil && isBusy(err) && force {
			deferredLeft = true
			_, err = p.env.DM.Remove(d.name, dmctl.RemoveOptions{Deferred: true})
		}
		if err != nil && !isNoDevice(err) {
			return fmt.Errorf("deactivate pool %s: remove %s: %w", p.names.Pool, d.name, err)
		}
	}
	if deferredLeft {
		return fmt.Errorf("deactivate pool %s: some devices are still busy and will be removed when closed; the pool stays until then: %w",
			p.names.Pool, ErrInUse)
	}
	if err := p.stopPool(); err != nil {
		if isBusy(err) {
			if info, ierr := p.env.DM.Info(p.names.Pool); ierr == nil {
				if herr := p.holdersError(p.names.Pool, info.Dev); herr != nil {
					err = fmt.Errorf("%w (%w)", err, herr)
				}
			}
		}
		return fmt.Errorf("deactivate pool %s: %w", p.names.Pool, err)
	}
	return nil
}

// DestroyOptions modify DestroyWith.
type DestroyOptions struct {
	// Force is as for Deactivate; for an adopted pool that is not active
	// it also drops the state without deleting the thin ids.
	Force bool
	// RemoveVolumes also removes the LVM volumes a direct-lvm setup made
	// (the volume group docker, its thin pool and the physical volume
	// label). Without it they stay, with setup-config.json, and a later
	// create with the same settings takes them over again.
	RemoveVolumes bool
}

// Destroy is DestroyWith without removing LVM volumes.
func (p *Pool) Destroy(force bool) error { return p.DestroyWith(DestroyOptions{Force: force}) }

// DestroyWith deactivates the pool and deletes it: the loop files, every
// state file under metadata/ (the lock file stays, so that a command
// waiting for it cannot race a new pool) and the empty mount directories.
// A direct pool's metadata device has its superblock zeroed; an adopted
// pool gets its thin ids deleted and its transaction id back and is left
// loaded, its volumes untouched unless opts.RemoveVolumes asks for those
// dmctl made itself. The caller confirms with the user first.
func (p *Pool) DestroyWith(opts DestroyOptions) error {
	if err := p.writable(); err != nil {
		return err
	}
	if opts.RemoveVolumes && p.rec.Config.DirectLVM == nil {
		return fmt.Errorf("destroy pool %s: dmctl did not create its volumes (only those of a direct-lvm setup are removed)", p.names.Pool)
	}
	force := opts.Force
	if p.rec.Mode == ModeAdopted {
		// The thin ids go with the volumes when those are removed.
		if err := p.releaseAdopted(force, force || opts.RemoveVolumes); err != nil {
			return err
		}
		if opts.RemoveVolumes {
			if err := p.removeDirectLVM(); err != nil {
				return fmt.Errorf("destroy pool %s: %w", p.names.Pool, err)
			}
		}
	} else if err := p.Deactivate(force); err != nil {
		return err
	}
	var errs []error
	switch p.rec.Mode {
	case ModeLoop:
		for _, f := range p.loopFiles() {
			errs = append(errs, p.store.removeLoopFile(f.name))
		}
		p.store.removeDir(loopDirName)
	case ModeDirect:
		errs = append(errs, zeroPoolMetadata(p.rec.Config.MetadataDevice))
	}
	devs, err := p.store.Devices()
	if err != nil {
		errs = append(errs, err)
	}
	for _, d := range devs {
		errs = append(errs, p.store.RemoveDevice(d.ID))
	}
	errs = append(errs,
		p.store.RemoveDeviceSet(),
		p.store.RemoveTransaction(),
		p.store.RemovePoolRecord())
	p.store.removeEmptyMountDirs()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroy pool %s: %w", p.names.Pool, err)
	}
	return nil
}

// releaseAdopted deletes dmctl's thin devices from an adopted pool.
// When the pool is not active, the thin ids cannot be deleted: that is
// an error unless inactiveOK.
func (p *Pool) releaseAdopted(force, inactiveOK bool) error {
	active, err := p.Active()
	if err != nil {
		return err
	}
	if !active {
		if inactiveOK {
			return nil
		}
		return fmt.Errorf("destroy: adopted pool %s: %w (its thin devices cannot be deleted; force drops them)", p.names.Pool, ErrPoolInactive)
	}
	if err := p.Deactivate(force); err != nil {
		return err
	}
	if err := p.forThinChange(); err != nil {
		return err
	}
	for _, d := range append([]DeviceMeta(nil), p.devices...) {
		if _, err := p.deleteThin(d, false); err != nil {
			return fmt.Errorf("destroy: %w", err)
		}
	}
	if err := p.restoreTransactionID(); err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	return nil
}
