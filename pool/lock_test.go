package pool

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	root := t.TempDir()
	if _, err := NewStore(root).Init(false); err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(root, time.Second)
	if err != nil {
		t.Fatalf("AcquireLock = %v", err)
	}
	start := time.Now()
	_, err = AcquireLock(root, 150*time.Millisecond)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second AcquireLock = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("second AcquireLock gave up after %v, want about 150ms", d)
	}
	for _, want := range []string{root, "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lock error %q does not name %q", err, want)
		}
	}
	done := make(chan error, 1)
	go func() {
		l2, err := AcquireLock(root, 5*time.Second)
		if err == nil {
			err = l2.Release()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := l.Release(); err != nil {
		t.Fatalf("Release = %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("AcquireLock after release = %v, want nil", err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
}

func TestLockNeedsMetadataDir(t *testing.T) {
	if _, err := AcquireLock(t.TempDir()+"/none", time.Second); err == nil {
		t.Errorf("AcquireLock without a metadata directory = nil, want an error")
	}
}
