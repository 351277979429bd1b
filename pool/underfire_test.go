package pool

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

func TestCheckRoot(t *testing.T) {
	_, root, p := newLoopPool(t)
	p.Close()
	if err := CheckRoot(root); err != nil {
		t.Fatalf("CheckRoot(made by Create) = %v", err)
	}
	for _, tc := range []struct {
		name  string
		apply func() error
		want  string
	}{
		{"root 0777", func() error { return os.Chmod(root, 0o777) }, "writable by group or others"},
		{"metadata 0770", func() error { return os.Chmod(filepath.Join(root, "metadata"), 0o770) }, "writable by group or others"},
		{"devicemapper a link", func() error {
			dm := filepath.Join(root, "devicemapper")
			if err := os.Rename(dm, dm+".real"); err != nil {
				return err
			}
			return os.Symlink(dm+".real", dm)
		}, "symbolic link"},
	} {
		if err := tc.apply(); err != nil {
			t.Fatal(err)
		}
		if err := CheckRoot(root); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckRoot = %v, want %q", tc.name, err, tc.want)
		}
		os.Chmod(root, 0o700)
		os.Chmod(filepath.Join(root, "metadata"), 0o700)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(filepath.Join(root, "metadata"), 1000, 1000); err != nil {
			t.Fatal(err)
		}
		if err := CheckRoot(root); err == nil || !strings.Contains(err.Error(), "owned by uid 1000") {
			t.Errorf("CheckRoot(metadata owned by 1000) = %v", err)
		}
	}
}

func TestCheckCreateRoot(t *testing.T) {
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := checkCreateRoot(filepath.Join(open, "a", "root")); err == nil {
		t.Errorf("checkCreateRoot under a 0777 directory = nil, want a refusal")
	}
	if err := os.Chmod(open, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	if err := checkCreateRoot(filepath.Join(open, "root")); err != nil {
		t.Errorf("checkCreateRoot under a sticky directory (like /tmp) = %v", err)
	}
	if err := checkCreateRoot(filepath.Join(t.TempDir(), "root")); err != nil {
		t.Errorf("checkCreateRoot under a private directory = %v", err)
	}
}

func TestStateFieldsValidated(t *testing.T) {
	_, root, p := newLoopPool(t)
	defer p.Close()
	meta := filepath.Join(root, "metadata")
	for _, tc := range []struct{ file, content, want string }{
		{"transaction-metadata", `{"open_transaction_id":9,"device_hash":"../../etc/passwd","device_id":1}`, "device_hash"},
		{"transaction-metadata", `{"open_transaction_id":9,"device_hash":"a","device_id":1,"suspended":"x/y"}`, "suspended"},
		{"transaction-metadata", `{"open_transaction_id":9,"device_hash":"a","device_id":-1}`, "device_id"},
		{"x", `{"device_id":16777216,"size":1024}`, "device_id"},
		{"x", `{"device_id":3,"size":1000}`, "size"},
		{"x", `{"device_id":3,"size":0}`, "size"},
		{"x", `{"device_id":3,"size":1024,"origin":"../y"}`, "origin"},
	} {
		if err := os.WriteFile(filepath.Join(meta, tc.file), []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if tc.file == "transaction-metadata" {
			_, _, err = p.Store().ReadTransaction()
		} else {
			_, err = p.Store().Devices()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %s: read = %v, want an error naming %s", tc.file, tc.content, err, tc.want)
		}
		os.Remove(filepath.Join(meta, tc.file))
	}
}

func TestLockNotes(t *testing.T) {
	pid, notes := parseLockFile("123\nsuspend docker-1:2-3-pool\nactivate a-b\nreserve p\nbogus x\nsuspend ../x\nsuspend has space\n")
	if pid != 123 || len(notes) != 3 {
		t.Errorf("parseLockFile = %d, %v; want pid 123 and 3 notes", pid, notes)
	}
	_, root, p := newLoopPool(t)
	p.Close()
	s := NewStore(root)
	defer s.Close()
	l, err := s.acquireLock(LockExclusive, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l.note(noteSuspend, "dev")
	b, _ := os.ReadFile(s.LockFile())
	if want := strconv.Itoa(os.Getpid()) + "\nsuspend dev\n"; string(b) != want {
		t.Errorf("lock file = %q, want %q", b, want)
	}
	// A holder killed now leaves the note for the next one.
	l.f.Close()
	l2, err := s.acquireLock(LockShared, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(l2.notes) != 1 || l2.notes[0] != (lockNote{noteSuspend, "dev"}) {
		t.Errorf("notes seen by the next holder = %v", l2.notes)
	}
	l2.Release()
	l3, err := s.acquireLock(LockExclusive, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l3.drop(lockNote{noteSuspend, "dev"})
	l3.Release()
	if b, _ := os.ReadFile(s.LockFile()); len(b) != 0 {
		t.Errorf("lock file after the note was dropped and the lock released = %q, want empty", b)
	}
}

func TestInterruptsWaitForResume(t *testing.T) {
	var exited []int
	interrupts.exit = func(code int) { exited = append(exited, code) }
	interrupts.stderr = func(string) {}
	defer func() { interrupts.exit, interrupts.stderr, interrupts.pending = nil, nil, nil }()

	release := holdInterrupts()
	interruptWith(syscall.SIGTERM)
	if len(exited) != 0 || !Interrupted() {
		t.Fatalf("a signal while suspended: exited %v, Interrupted() %v; want a wait", exited, Interrupted())
	}
	release()
	release() // once only
	if len(exited) != 1 || exited[0] != 128+15 {
		t.Errorf("exit after the resume = %v, want [143]", exited)
	}
	interrupts.pending = nil
	interruptWith(syscall.SIGINT)
	if len(exited) != 2 || exited[1] != 130 {
		t.Errorf("a signal with nothing suspended: exits %v, want 130 at once", exited)
	}
}

func TestStalledPoolResumed(t *testing.T) {
	k, root, p := newLoopPool(t)
	name := p.Names().Pool
	// A trim killed while the pool was suspended: the note stays.
	p.lock.note(noteSuspend, name)
	if _, err := k.Suspend(name, dmctl.SuspendOptions{}); err != nil {
		t.Fatal(err)
	}
	p.lock.f.Close()
	p.lock = nil
	p.Close()
	if !k.devs[name].suspended {
		t.Fatal("pool not suspended")
	}
	q, err := Open(root, k.env(), OpenOptions{})
	if err != nil {
		t.Fatalf("Open(read) = %v", err)
	}
	q.Close()
	if k.devs[name].suspended {
		t.Errorf("a reader left the pool suspended after a killed dmctl")
	}
	// Suspended by someone else: left alone, and changes refused.
	k.devs[name].suspended = true
	q, err = Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if !k.devs[name].suspended {
		t.Errorf("dmctl resumed a pool it did not suspend")
	}
	if _, err := q.CreateSnapshot("x", "", 0); err == nil || !strings.Contains(err.Error(), "suspended") {
		t.Errorf("CreateSnapshot on a pool suspended by someone else = %v", err)
	}
	if errors.Is(err, ErrLocked) {
		t.Error("unexpected lock error")
	}
}
