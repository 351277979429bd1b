//go:build linux

package pool

import (
	"errors"
	"fmt"
)

// Activate brings the pool up, as Docker's driver did at every start:
// for a loop pool it finds the loop devices still attached to the data and
// metadata files or attaches them again; it loads the pool when it is not
// loaded (an adopted pool must already be); it finishes or rolls back a
// transaction an interrupted command left open and retries deferred
// deletions; it makes the base device when it is missing or was never
// finished (Docker's rule for an uninitialized base), and then checks that
// the base still has the filesystem recorded when it was made. Calling it
// on an active pool does no harm.
func (p *Pool) Activate() error {
	if err := p.writable(); err != nil {
		return err
	}
	if err := p.checkClaims(); err != nil {
		return err
	}
	active, err := p.Active()
	if err != nil {
		return err
	}
	if active && p.rec.Config.DirectLVM != nil {
		// An interrupted setup may have left docker/thinpool a plain
		// volume, not yet converted to a thin pool.
		if _, _, err := p.poolTable(); err != nil {
			active = false
		}
	}
	switch {
	case !active && p.rec.Mode == ModeAdopted:
		if p.rec.Config.DirectLVM == nil {
			return p.inactiveAdoptedError()
		}
		// dmctl set the volumes up: bring them up (or finish an
		// interrupted setup) through LVM.
		if _, err := p.setupDirectLVM(nil); err != nil {
			return err
		}
		if active, err := p.Active(); err != nil {
			return err
		} else if !active {
			return p.inactiveAdoptedError()
		}
		p.recoverErr = p.recoverTransaction()
	case !active:
		if p.rec.Mode == ModeLoop {
			if err := p.ensureLoopFiles(); err != nil {
				return err
			}
		}
		if err := p.startPool(); err != nil {
			return err
		}
		p.recoverErr = p.recoverTransaction()
	}
	if p.recoverErr != nil {
		return fmt.Errorf("pool %s: %w", p.names.Pool, p.recoverErr)
	}
	if err := p.loadThinState(); err != nil {
		return err
	}
	cleanupErr := p.cleanupDeleted()
	if err := p.ensureBase(); err != nil {
		return errors.Join(err, cleanupErr)
	}
	if err := p.verifyBase(); err != nil {
		return errors.Join(err, cleanupErr)
	}
	return cleanupErr
}

// ensureBase makes the base device when it is missing, or deletes and
// makes it again when its filesystem was never finished.
func (p *Pool) ensureBase() error {
	base, err := p.store.ReadDevice(BaseID)
	leftover := false
	switch {
	case err == nil && base.Initialized:
		return nil
	case err == nil:
		leftover = true
		if _, err := p.env.DM.Remove(p.names.Device(BaseID), removeOpts(false)); err != nil && !isNoDevice(err) {
			return fmt.Errorf("remove uninitialized base device: %w", err)
		}
		if _, err := p.deleteThin(base, false); err != nil {
			return fmt.Errorf("remove uninitialized base device: %w", err)
		}
	case !errors.Is(err, ErrDeviceNotFound):
		return err
	}
	if p.rec.Mode == ModeAdopted {
		if leftover {
			// dmctl's own unfinished base (a create was interrupted):
			// the pool's transaction id moved because of it.
			if err := p.restoreTransactionID(); err != nil {
				return err
			}
		}
		// Docker's rule: no base yet, so the pool must still be unused.
		if err := p.checkAdopt(); err != nil {
			return err
		}
		if !p.docker {
			if err := p.store.WritePoolRecord(p.rec); err != nil {
				return err
			}
		}
	}
	return p.createBase()
}

// verifyBase checks that the base device has the filesystem UUID and type
// recorded in deviceset-metadata, activating it for the check if needed,
// and records them when a root Docker left has none yet.
func (p *Pool) verifyBase() (retErr error) {
	base, err := p.store.ReadDevice(BaseID)
	if err != nil {
		return err
	}
	name := p.names.Device(BaseID)
	wasActive := false
	if info, err := p.env.DM.Info(name); err == nil && info.LiveTable() {
		wasActive = true
	}
	if _, err := p.activateDevice(base); err != nil {
		return err
	}
	if !wasActive {
		defer func() {
			if _, err := p.env.DM.Remove(name, removeOpts(false)); err != nil {
				retErr = errors.Join(retErr, err)
			}
		}()
	}
	fsi, err := p.env.Sys.ProbeFilesystem(mapperDir + name)
	if err != nil {
		//lint:ignore ST1005 Docker's own wording, which admins search for
		return fmt.Errorf("Base Device UUID and Filesystem verification failed: %w: %w", err, ErrVerification)
	}
	if p.devset.BaseDeviceUUID == "" {
		p.devset.BaseDeviceUUID = fsi.UUID
		p.devset.BaseDeviceFilesystem = fsi.Type
		return p.store.WriteDeviceSet(p.devset)
	}
	if err := checkBaseFS(p.devset, fsi); err != nil {
		//lint:ignore ST1005 Docker's own wording, which admins search for
		return fmt.Errorf("Base Device UUID and Filesystem verification failed: %w", err)
	}
	return nil
}

// checkBaseFS compares what the base device holds with what was recorded.
func checkBaseFS(rec DeviceSetMeta, got FSInfo) error {
	if got.UUID != rec.BaseDeviceUUID {
		return fmt.Errorf("current base device UUID %s does not match stored UUID %s; possibly a different thin pool than last time: %w",
			got.UUID, rec.BaseDeviceUUID, ErrVerification)
	}
	if rec.BaseDeviceFilesystem != "" && got.Type != rec.BaseDeviceFilesystem {
		return fmt.Errorf("base device filesystem %s does not match stored filesystem %s: %w",
			got.Type, rec.BaseDeviceFilesystem, ErrVerification)
	}
	return nil
}
