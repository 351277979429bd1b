package pool

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultLockTimeout is how long a mutating command waits for another
// one working on the same root.
const DefaultLockTimeout = 30 * time.Second

// lockPoll is how often a busy lock is tried again.
const lockPoll = 50 * time.Millisecond

// Lock is an exclusive flock(2) on a root's metadata/.dmctl.lock, held by
// one mutating dmctl at a time. Readers do not lock.
type Lock struct {
	f *os.File
}

// AcquireLock takes the lock of the pool rooted at root, waiting up to
// timeout for another holder to let go. The metadata directory must exist.
// The holder's pid is written to the file so that the error a waiter gets
// can name it.
func AcquireLock(root string, timeout time.Duration) (*Lock, error) {
	path := NewStore(root).LockFile()
	deadline := time.Now().Add(timeout)
	for {
		l, err := acquireLock(root, path, deadline, timeout)
		if err != nil || l != nil {
			return l, err
		}
		// The file was removed (a failed pool create gives the root back
		// empty) while we waited: lock the one the path names now.
	}
}

// acquireLock locks the file at path; a nil Lock and nil error mean the
// file was unlinked while we waited for it.
func acquireLock(root, path string, deadline time.Time, timeout time.Duration) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock pool root %s: %w", root, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
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
			return nil, fmt.Errorf("pool root %s is locked by another dmctl%s (waited %v): %w",
				root, holder, timeout, ErrLocked)
		}
		time.Sleep(lockPoll)
	}
	if !sameFile(f, path) {
		f.Close()
		return nil, nil
	}
	// Record who holds it; a failure here only makes a waiter's error
	// less precise.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	if err != nil {
		return false
	}
	return os.SameFile(a, b)
}

// lockHolder returns " (pid N)" from the lock file, or "".
func lockHolder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return ""
	}
	return " (pid " + strconv.Itoa(pid) + ")"
}

// Release lets go of the lock. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("release pool lock: %w", err)
	}
	return nil
}
