//go:build linux

package pool

import (
	"errors"
	"fmt"
	"syscall"
)

// Fault paths end clearly.
//
// A pool whose data or metadata device fails, or that runs out of space,
// changes mode: out_of_data_space (no data block can be allocated; writes
// queue or fail), read-only (the metadata cannot be changed: out of
// metadata space, a failing metadata device, or needs_check) or fail
// (all I/O fails). The kernel then refuses messages with terse errnos
// (EOPNOTSUPP, EINVAL, EIO). dmctl reads the mode before it asks for a
// change, refuses what the mode cannot do with one line that names the
// mode and says what to do, and adds the same advice to a kernel error
// the mode explains. Nothing that needs a pool write is attempted on a
// pool that cannot write, so no command waits on queued I/O.

// ModeAdvice returns one sentence on the pool's mode and what to do, or
// "" for a pool in read-write mode.
func ModeAdvice(name string, st PoolStatus) string {
	switch {
	case st.Mode == PoolModeFail:
		return fmt.Sprintf("pool %s has failed (fail mode): all I/O to its devices fails; deactivate it, check its metadata with thin_check and repair it with thin_repair before activating it again", name)
	case st.Mode == PoolModeError:
		return fmt.Sprintf("pool %s is in error: the kernel cannot read its metadata; deactivate it and check the metadata with thin_check", name)
	case st.Mode == PoolModeReadOnly && st.NeedsCheck:
		return fmt.Sprintf("pool %s is read-only and its metadata needs checking (needs_check): deactivate it, run thin_check (and thin_repair) on its metadata, then activate it", name)
	case st.Mode == PoolModeReadOnly:
		return fmt.Sprintf("pool %s is read-only (metadata space exhausted, or its metadata device failing): grow the metadata (dmctl pool extend --metadata-size SIZE) or check the device", name)
	case st.Mode == PoolModeOutOfDataSpace:
		return fmt.Sprintf("pool %s is out of data space (out_of_data_space): writes to its devices wait or fail; grow it (dmctl pool extend --data-size SIZE) or remove snapshots", name)
	case st.NeedsCheck:
		return fmt.Sprintf("pool %s needs a metadata check (needs_check): deactivate it and run thin_check", name)
	}
	return ""
}

// modeError returns an error wrapping ErrPoolMode that says what the
// pool's mode keeps it from doing, or nil in read-write mode.
func (p *Pool) modeError(st PoolStatus, doing string) error {
	advice := ModeAdvice(p.names.Pool, st)
	if advice == "" {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", doing, advice, ErrPoolMode)
}

// withMode adds the pool's mode and advice to a kernel error the mode
// explains (a message refused by a pool that is not read-write).
func (p *Pool) withMode(err error) error {
	if err == nil || !(errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EPERM)) {
		return err
	}
	st, serr := p.poolStatus()
	if serr != nil {
		return err
	}
	if advice := ModeAdvice(p.names.Pool, st); advice != "" {
		return fmt.Errorf("%w (%s)", err, advice)
	}
	return err
}

// metadataReadable refuses to read thin ids online from a pool that
// cannot give them (failed).
func (p *Pool) metadataReadable(st PoolStatus) error {
	if st.Failed {
		return p.modeError(st, "read the pool's thin devices")
	}
	return nil
}
