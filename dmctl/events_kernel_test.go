//go:build linux

package dmctl_test

// Kernel tests of EventWatcher (DM_DEV_ARM_POLL and poll(2) on the control
// descriptor). Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelEventWatcher ./dmctl

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelEventWatcher waits for events the kernel raises: a device
// created and renamed, then nothing (the timeout), then a Wake from
// another goroutine.
func TestKernelEventWatcher(t *testing.T) {
	c := dmtest.Require(t, "zero")
	w, err := dmctl.NewEventWatcher()
	if err != nil {
		t.Fatalf("NewEventWatcher() = %v", err)
	}
	defer w.Close()
	p := dmtest.Name(t)
	mustCreate(t, c, p+"-a", "", zero(8), false)

	if err := w.Arm(); err != nil {
		t.Fatalf("Arm() = %v", err)
	}
	if r, err := w.Wait(50 * time.Millisecond); err != nil || r != dmctl.WaitTimeout {
		t.Errorf("Wait(50ms) with nothing happening = %v, %v, want timeout", r, err)
	}
	if err := c.Rename(p+"-a", p+"-b"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if r, err := w.Wait(10 * time.Second); err != nil || r != dmctl.WaitEvent {
		t.Errorf("Wait after a rename = %v, %v, want event", r, err)
	}
	t.Logf("event seen after %v", time.Since(start))
	// Still signalled until armed again.
	if r, err := w.Wait(0); err != nil || r != dmctl.WaitEvent {
		t.Errorf("Wait again before Arm = %v, %v, want event", r, err)
	}
	if err := w.Arm(); err != nil {
		t.Fatal(err)
	}
	if r, err := w.Wait(50 * time.Millisecond); err != nil || r != dmctl.WaitTimeout {
		t.Errorf("Wait after Arm = %v, %v, want timeout", r, err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		w.Wake()
	}()
	if r, err := w.Wait(10 * time.Second); err != nil || r != dmctl.WaitWoken {
		t.Errorf("Wait with a Wake from another goroutine = %v, %v, want woken", r, err)
	}
}

// TestKernelEventWatcherLowWater fills a thin device until its pool's
// free space falls below the low water mark: the pool's event ends the
// wait.
func TestKernelEventWatcherLowWater(t *testing.T) {
	c := dmtest.Require(t, "thin-pool", "thin")
	meta := dmtest.LoopFile(t, 4<<20)
	data := dmtest.LoopFile(t, 16<<20) // 256 blocks of 64 KiB
	p := dmtest.Name(t)
	pool := p + "-pool"
	mustCreate(t, c, pool, "", []dmctl.Target{{Length: (16 << 20) / 512, Type: "thin-pool",
		Params: fmt.Sprintf("%s %s 128 200 1 skip_block_zeroing", meta.Dev, data.Dev)}}, false)
	mustMessage(t, c, pool, "create_thin 0")
	info := mustCreate(t, c, p+"-thin", "", []dmctl.Target{{Length: (16 << 20) / 512, Type: "thin",
		Params: fmt.Sprintf("%s 0", mustInfo(t, c, pool).Dev)}}, false)
	w, err := dmctl.NewEventWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Arm(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(fmt.Sprintf("/dev/dm-%d", info.Dev.Minor()), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = 0xa5
	}
	// 40 blocks: 216 free, above the mark.
	for i := 0; i < 40; i++ {
		if _, err := f.WriteAt(buf, int64(i)*int64(len(buf))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if r, err := w.Wait(100 * time.Millisecond); err != nil || r != dmctl.WaitTimeout {
		t.Errorf("Wait above the low water mark = %v, %v, want timeout", r, err)
	}
	// 20 more: 196 free, below the mark of 200.
	for i := 40; i < 60; i++ {
		if _, err := f.WriteAt(buf, int64(i)*int64(len(buf))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if r, err := w.Wait(10 * time.Second); err != nil || r != dmctl.WaitEvent {
		t.Errorf("Wait below the low water mark = %v, %v, want event", r, err)
	}
}
