//go:build linux

package pool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultLockTimeout is how long a command waits for another one working
// on the same root.
const DefaultLockTimeout = 30 * time.Second

// lockPoll is how often a busy lock is tried again.
const lockPoll = 50 * time.Millisecond

// Lock modes: commands that change a root hold its lock exclusively, for
// the whole command; commands that only read it hold it shared, so that
// they never see a change half made (a thin id created but not yet
// recorded, a device being removed) and never run while a device is
// suspended by another dmctl.
const (
	LockShared    = false
	LockExclusive = true
)

// Lock is a flock(2) on a file of a root's metadata directory
// (metadata/.dmctl.lock), opened without following links. The file also
// carries what its exclusive holder is in the middle of: its pid, and
// notes of kernel state it must undo should it die (a device it
// suspended, a device it is activating). A holder that ends normally
// clears its notes; a holder killed with SIGKILL leaves them, and the next
// command to take the lock, in either mode, finishes the job (see
// recoverStalled). No fsync: the notes describe kernel state, which a
// machine crash clears anyway.
type Lock struct {
	f         *os.File
	exclusive bool
	notes     []lockNote
}

// A lockNote is one line of the lock file after the pid: a verb and a
// device-mapper name.
type lockNote struct {
	verb string // noteSuspend or noteActivate
	name string
}

// Lock-file notes.
const (
	noteSuspend  = "suspend"  // the holder suspended this device
	noteActivate = "activate" // the holder is creating this device
	noteReserve  = "reserve"  // the holder reserved this pool's metadata snapshot
)

// AcquireLock takes the lock of the pool rooted at root exclusively,
// waiting up to timeout for another holder to let go. The metadata
// directory must exist.
func AcquireLock(root string, timeout time.Duration) (*Lock, error) {
	s := NewStore(root)
	defer s.Close()
	return s.acquireLock(LockExclusive, timeout)
}

// acquireLock takes the root's lock in the given mode, waiting up to
// timeout. An exclusive holder records its pid so that a waiter's error
// can name it. A shared lock on a root whose lock file cannot be made (a
// read-only root) is taken as granted: nobody can change such a root.
func (s *Store) acquireLock(exclusive bool, timeout time.Duration) (*Lock, error) {
	return s.lockFile(lockFileName, exclusive, timeout)
}

// lockFile takes the flock of the metadata file name (see acquireLock).
// With timeout 0 it tries once.
func (s *Store) lockFile(name string, exclusive bool, timeout time.Duration) (*Lock, error) {
	deadline := time.Now().Add(timeout)
	for {
		l, err := s.lockFileUntil(name, exclusive, timeout, deadline)
		if err != nil || l != nil {
			return l, err
		}
		// The file was removed while we waited (a failed pool create
		// gives the root back empty): lock the one the name gives now.
		s.Close()
	}
}

// lockFileUntil is lockFile's one attempt; a nil Lock and nil error mean
// the file was unlinked while we waited for it.
func (s *Store) lockFileUntil(name string, exclusive bool, timeout time.Duration, deadline time.Time) (*Lock, error) {
	root := s.Root()
	d, err := s.metaDir()
	if err != nil {
		return nil, fmt.Errorf("lock pool root %s: %w", root, err)
	}
	f, err := d.Open(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil && !exclusive && (errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)) {
		f, err = d.Open(name, os.O_RDONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			return &Lock{}, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock pool root %s: %w", root, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock pool root %s: %w", root, err)
		}
		if !time.Now().Before(deadline) {
			holder := lockHolder(f)
			f.Close()
			return nil, fmt.Errorf("pool root %s is busy: another dmctl%s is changing it (waited %v; try again): %w",
				root, holder, timeout, ErrLocked)
		}
		time.Sleep(lockPoll)
	}
	if !sameFile(f, filepath.Join(d.Path(), name)) {
		f.Close()
		return nil, nil
	}
	l := &Lock{f: f, exclusive: exclusive}
	_, l.notes = parseLockFile(readLockFile(f))
	if exclusive {
		// Record who holds it, keeping what a killed holder left to undo;
		// a failure here only makes a waiter's error less precise.
		l.write()
	}
	return l, nil
}

// readLockFile returns the lock file's content (at most 4 KiB).
func readLockFile(f *os.File) string {
	b := make([]byte, 4096)
	n, _ := f.ReadAt(b, 0)
	return string(b[:n])
}

// parseLockFile splits the lock file into the holder's pid (0 if none)
// and its notes; lines that do not parse are ignored, and names that
// could not be device-mapper names are dropped.
func parseLockFile(s string) (pid int, notes []lockNote) {
	lines := strings.Split(s, "\n")
	if p, err := strconv.Atoi(strings.TrimSpace(lines[0])); err == nil && p > 0 {
		pid = p
	}
	for _, l := range lines[1:] {
		verb, name, ok := strings.Cut(strings.TrimSpace(l), " ")
		if !ok || (verb != noteSuspend && verb != noteActivate && verb != noteReserve) || !validDMName(name) {
			continue
		}
		notes = append(notes, lockNote{verb, name})
	}
	return pid, notes
}

// validDMName reports whether name could be a device-mapper device name.
func validDMName(name string) bool {
	if name == "" || len(name) > MaxNameLen || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if r == '/' || r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

// lockHolder returns " (pid N)" from the lock file, or "".
func lockHolder(f *os.File) string {
	pid, _ := parseLockFile(readLockFile(f))
	if pid <= 0 {
		return ""
	}
	return " (pid " + strconv.Itoa(pid) + ")"
}

// write replaces the lock file's content: the pid (exclusive holders
// only) and the notes.
func (l *Lock) write() {
	if l.f == nil {
		return
	}
	var b strings.Builder
	if l.exclusive {
		b.WriteString(strconv.Itoa(os.Getpid()))
	}
	b.WriteString("\n")
	for _, n := range l.notes {
		b.WriteString(n.verb + " " + n.name + "\n")
	}
	s := b.String()
	if !l.exclusive && len(l.notes) == 0 {
		s = ""
	}
	l.f.WriteAt([]byte(s), 0)
	l.f.Truncate(int64(len(s)))
}

// note records that the holder is about to leave name in a state the
// next command must undo if this one dies (verb noteSuspend or
// noteActivate), and returns the function that drops the note again once
// the state is undone.
func (l *Lock) note(verb, name string) (done func()) {
	if l == nil || l.f == nil {
		return func() {}
	}
	n := lockNote{verb, name}
	l.notes = append(l.notes, n)
	l.write()
	return func() { l.drop(n) }
}

// drop removes a note.
func (l *Lock) drop(n lockNote) {
	for i, m := range l.notes {
		if m == n {
			l.notes = append(l.notes[:i], l.notes[i+1:]...)
			l.write()
			return
		}
	}
}

// Release lets go of the lock, leaving only the notes still to undo. It
// is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	if l.exclusive {
		l.exclusive = false // the pid goes; unfinished notes stay
		l.write()
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("release pool lock: %w", err)
	}
	return nil
}
