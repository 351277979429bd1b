//go:build linux

package pool

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// Nothing left stalled.
//
// A dmctl that suspends a device (the pool while trim reads its space map
// or extend reloads its table, an origin around create_snap) or creates
// one (create, load, resume: three ioctls) first notes it in the root's
// lock file, and drops the note once the device is resumed or made; a
// dmctl that reserves the pool's metadata snapshot notes that in its own
// lock file (metadata/.dmctl.msnap.lock). SIGINT and SIGTERM wait for the
// resume (see interrupt.go), but SIGKILL leaves the note behind. The next
// command to take the root's lock, of any kind, reads are included,
// undoes it: it holds the lock, so no dmctl is in the middle of anything,
// and the note says the state is dmctl's own and not an admin's (a device
// someone suspended by hand is left alone, and reported). Undoing is:
//   - suspend: resume the device (an inactive table loaded before the
//     suspend goes live, which finishes the extend; one loaded without a
//     suspend is cleared);
//   - activate: remove the device when it has no live table;
//   - reserve: release the metadata snapshot, if it is still held.
// A transaction left open with its origin suspended says so too
// (Transaction.Suspended): the origin is resumed here, the transaction
// itself finished or rolled back by the next writer (txn.go).

// errStalled marks a failure to undo what a killed dmctl left.
var errStalled = errors.New("left by a killed dmctl")

// Recover undoes what a killed dmctl left stalled on the pool rooted at
// root, when a pool is there and no dmctl is at work on it (the lock is
// only tried, never waited for); it changes nothing else. The commands
// that do not open a pool themselves (dmsetup's verbs) call it, so that
// every command, of any kind, resumes what a killed one left suspended.
// It reports only a failure to undo something; a root that is not a
// usable pool is the pool commands' to report.
func Recover(root string, env Env, opts OpenOptions) error {
	opts.Write, opts.tryLock = false, true
	p, err := Open(root, env, opts)
	if err != nil {
		if errors.Is(err, errStalled) {
			return err
		}
		return nil
	}
	return p.Close()
}

// msnapLockFileName serialises the users of a pool's one metadata
// snapshot.
const msnapLockFileName = ".dmctl.msnap.lock"

// recoverStalled undoes what a killed dmctl left noted (see above).
func (p *Pool) recoverStalled() error {
	var errs []error
	handled := false
	for _, n := range append([]lockNote(nil), p.lock.notes...) {
		if !p.ownsDMName(n.name) {
			p.lock.drop(n)
			continue
		}
		var err error
		switch n.verb {
		case noteSuspend:
			err = p.resumeLeftSuspended(n.name)
		case noteActivate:
			err = p.removeHalfMade(n.name)
		default:
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.lock.drop(n)
		handled = true
	}
	if handled && !p.lock.exclusive {
		p.lock.write()
	}
	if t := p.pendingTransaction(); t != nil && t.Suspended != "" {
		if err := p.resumeIfSuspended(t.Suspended); err != nil {
			errs = append(errs, fmt.Errorf("resume origin %s left suspended by an interrupted snapshot: %w", t.Suspended, err))
		}
	}
	if err := p.releaseStaleMetadataSnap(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w (%w)", errors.Join(errs...), errStalled)
	}
	return nil
}

// ownsDMName reports whether name is the pool's or one of its devices'.
func (p *Pool) ownsDMName(name string) bool {
	return name == p.names.Pool || strings.HasPrefix(name, p.names.Prefix+"-")
}

// resumeLeftSuspended resumes a device a killed dmctl left suspended, or
// clears a table it loaded and never made live.
func (p *Pool) resumeLeftSuspended(name string) error {
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return fmt.Errorf("device %s left suspended by a killed dmctl: %w", name, err)
	}
	switch {
	case info.Suspended() && info.LiveTable():
		if _, err := p.env.DM.Resume(name); err != nil {
			return fmt.Errorf("resume %s, left suspended by a killed dmctl: %w", name, err)
		}
	case info.InactiveTable():
		if _, err := p.env.DM.ClearTable(name); err != nil && !isNoDevice(err) {
			return fmt.Errorf("clear the table a killed dmctl loaded into %s: %w", name, err)
		}
	}
	return nil
}

// removeHalfMade removes a device a killed dmctl was creating, when it
// never got a live table.
func (p *Pool) removeHalfMade(name string) error {
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return fmt.Errorf("device %s left half made by a killed dmctl: %w", name, err)
	}
	if info.LiveTable() {
		return nil
	}
	if _, err := p.env.DM.Remove(name, removeOpts(false)); err != nil && !isNoDevice(err) {
		return fmt.Errorf("remove %s, left half made by a killed dmctl: %w", name, err)
	}
	return nil
}

// createDevice makes a device-mapper device (create, load, resume) under
// a note, so that a kill in the middle leaves nothing the next command
// does not remove.
func (p *Pool) createDevice(name string, targets []dmctl.Target) (dmctl.DeviceInfo, error) {
	done := p.lock.note(noteActivate, name)
	info, err := p.env.DM.CreateDevice(name, "", targets, false)
	if err != nil {
		if rerr := p.removeHalfMade(name); rerr != nil {
			return info, errors.Join(err, rerr)
		}
	}
	done()
	return info, err
}

// suspend suspends a device under a note and returns the resume, which
// drops the note once the device runs again. While a device is suspended
// SIGINT and SIGTERM wait (see interrupt.go).
func (p *Pool) suspend(name string, opts dmctl.SuspendOptions) (resume func() error, err error) {
	release := holdInterrupts()
	done := p.lock.note(noteSuspend, name)
	if _, err := p.env.DM.Suspend(name, opts); err != nil {
		// A failed suspend leaves the device running.
		if info, ierr := p.env.DM.Info(name); ierr != nil || !info.Suspended() {
			done()
		}
		release()
		return nil, err
	}
	return func() error {
		if _, err := p.env.DM.Resume(name); err != nil {
			release()
			return err // the note stays: the next command resumes it
		}
		done()
		release()
		return nil
	}, nil
}

// releaseStaleMetadataSnap releases the pool's metadata snapshot when a
// killed dmctl left it held: the snapshot is held, no dmctl holds the
// snapshot lock, and the lock file notes a reservation. A snapshot held
// by another program is left alone (ReadThinView reports it).
func (p *Pool) releaseStaleMetadataSnap() error {
	st, err := p.poolStatus()
	if err != nil || !st.HasHeldRoot {
		return nil // inactive, failed or nothing held: nothing to release here
	}
	ml, err := p.store.lockFile(msnapLockFileName, true, 0)
	if err != nil {
		return nil // a dmctl is using the snapshot right now
	}
	defer ml.Release()
	return p.releaseNotedSnap(ml)
}

// releaseNotedSnap releases a snapshot the msnap lock's notes say a
// dmctl reserved and never released.
func (p *Pool) releaseNotedSnap(ml *Lock) error {
	for _, n := range append([]lockNote(nil), ml.notes...) {
		if n.verb != noteReserve {
			continue
		}
		if n.name == p.names.Pool {
			if _, err := p.env.DM.Message(p.names.Pool, 0, "release_metadata_snap"); err != nil && !isNotHeld(err) {
				return fmt.Errorf("release the metadata snapshot of pool %s, left held by a killed dmctl: %w", p.names.Pool, err)
			}
		}
		ml.drop(n)
	}
	return nil
}

// refuseSuspended refuses I/O through the device-mapper devices names
// when one of them is suspended. Whatever a killed dmctl left suspended
// was resumed when the pool was opened, so someone else suspended it (an
// admin, another tool), and the I/O would wait in the kernel, where no
// signal reaches it, until they resume it: the command would hang.
func (p *Pool) refuseSuspended(what string, names ...string) error {
	for _, name := range names {
		info, err := p.env.DM.Info(name)
		if err != nil || !info.LiveTable() || !info.Suspended() {
			continue
		}
		return fmt.Errorf("%s: device %s is suspended, and not by dmctl: its I/O waits until it is resumed, so this would hang; resume it (dmctl resume %s) when whoever suspended it is done",
			what, name, name)
	}
	return nil
}
