//go:build linux

package dmctl_test

// Kernel tests of DM_DEV_WAIT and of the operations that raise device
// events. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelWait ./dmctl

import (
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelWaitEvents records which operations raise a device event
// (move the event counter): on Linux 6.1, rename does (dm_hash_rename
// calls dm_table_event); suspend, resume, load and messages to dm core do
// not.
func TestKernelWaitEvents(t *testing.T) {
	c := dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	name := p + "-a"
	mustCreate(t, c, name, "", zero(8), false)
	ops := []struct {
		op     string
		do     func() error
		raises bool
	}{
		{"suspend", func() error { _, err := c.Suspend(name, dmctl.SuspendOptions{}); return err }, false},
		{"resume", func() error { _, err := c.Resume(name); return err }, false},
		{"load", func() error { _, err := c.Load(name, zero(16), false); return err }, false},
		{"resume with new table", func() error { _, err := c.Resume(name); return err }, false},
		{"message", func() error { _, err := c.Message(name, 0, "@stats_list"); return err }, false},
		{"rename", func() error {
			if err := c.Rename(name, p+"-b"); err != nil {
				return err
			}
			return c.Rename(p+"-b", name)
		}, true},
	}
	for _, op := range ops {
		before := mustInfo(t, c, name).EventNr
		if err := op.do(); err != nil {
			t.Fatalf("%s: %v", op.op, err)
		}
		after := mustInfo(t, c, name).EventNr
		t.Logf("%s: event %d -> %d", op.op, before, after)
		if (after != before) != op.raises {
			t.Errorf("%s: event number %d -> %d, want raised = %v", op.op, before, after, op.raises)
		}
	}
}

// TestKernelWait blocks in Wait in one goroutine while another raises an
// event; Wait returns the new event number. A stale event number returns
// at once.
func TestKernelWait(t *testing.T) {
	c := dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	name := p + "-a"
	info := mustCreate(t, c, name, "", zero(8), false)

	type result struct {
		info dmctl.DeviceInfo
		err  error
	}
	done := make(chan result, 1)
	go func() {
		i, err := c.Wait(name, info.EventNr)
		done <- result{i, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Wait(%s, %d) returned before any event: %+v, %v", name, info.EventNr, r.info, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	if err := c.Rename(name, p+"-b"); err != nil {
		t.Fatalf("Rename = %v", err)
	}
	select {
	case r := <-done:
		// The reply names the device as the request did: the kernel looks
		// the device up (and fills in its name) before it waits.
		if r.err != nil || r.info.EventNr <= info.EventNr || r.info.Dev != info.Dev {
			t.Errorf("Wait(%s, %d) = %+v, %v; want a later event", name, info.EventNr, r.info, r.err)
		}
		t.Logf("Wait returned %v after the event", time.Since(start))
	case <-time.After(10 * time.Second):
		// Unblock the waiter before failing: removal raises an event too.
		c.Remove(p+"-b", dmctl.RemoveOptions{})
		t.Fatalf("Wait(%s, %d) still blocked 10s after a rename", name, info.EventNr)
	}

	// A stale event number: no waiting.
	start = time.Now()
	got, err := c.Wait(p+"-b", info.EventNr)
	if err != nil || got.EventNr == info.EventNr {
		t.Errorf("Wait(%s, stale %d) = %+v, %v", p+"-b", info.EventNr, got, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Wait(stale event) took %v, want immediate", d)
	}
}
