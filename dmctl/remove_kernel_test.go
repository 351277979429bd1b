//go:build linux

package dmctl_test

// Kernel tests of deferred removal. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelDeferred ./dmctl

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelDeferredRemove holds a device open, removes it deferred, and
// checks it stays (flagged) until closed, then goes; its stale node is
// cleaned by MakeNodes.
func TestKernelDeferredRemove(t *testing.T) {
	c := dmtest.Require(t, "zero")
	name := dmtest.Name(t)
	mustCreate(t, c, name, "", zero(8), false)
	closeIt := openDevice(t, name)

	info, err := c.Remove(name, dmctl.RemoveOptions{Deferred: true})
	if err != nil {
		t.Fatalf("Remove(%s, deferred) = %v", name, err)
	}
	if !info.DeferredRemove() {
		t.Errorf("Remove(%s, deferred) = %+v, want DeferredRemove", name, info)
	}
	info = mustInfo(t, c, name)
	if !info.DeferredRemove() || info.OpenCount != 1 {
		t.Errorf("Info(%s) = %+v, want open, removal deferred", name, info)
	}
	if out := dmtest.Dmsetup(t, "info", name); !strings.Contains(out, "DEFERRED REMOVE") {
		t.Errorf("dmsetup info %s does not show the deferred removal:\n%s", name, out)
	}
	checkNode(t, name, info.Dev)

	closeIt()
	eventually(t, "device removed at its last close", func() bool {
		_, err := c.Info(name)
		return errors.Is(err, dmctl.ErrNoDevice)
	})
	// The kernel removed the device on its own: its node, which dmctl
	// could not remove, is left until MakeNodes.
	if _, err := os.Lstat(dmctl.NodePath(name)); err == nil {
		t.Logf("%s is left after the deferred removal (as expected: no udev)", dmctl.NodePath(name))
	}
	if err := c.MakeNodes(); err != nil {
		t.Fatalf("MakeNodes() = %v", err)
	}
	checkGone(t, c, name)
}

// TestKernelDeferredRemoveCancel cancels a deferred removal with dm core's
// @cancel_deferred_remove message.
func TestKernelDeferredRemoveCancel(t *testing.T) {
	c := dmtest.Require(t, "zero")
	name := dmtest.Name(t)
	mustCreate(t, c, name, "", zero(8), false)
	closeIt := openDevice(t, name)
	if _, err := c.Remove(name, dmctl.RemoveOptions{Deferred: true}); err != nil {
		t.Fatalf("Remove(%s, deferred) = %v", name, err)
	}
	if out := mustMessage(t, c, name, "@cancel_deferred_remove"); out != "" {
		t.Errorf("Message(@cancel_deferred_remove) = %q, want no output", out)
	}
	if info := checkDmsetup(t, c, name, true); info.DeferredRemove() {
		t.Errorf("Info(%s) = %+v, want the deferred removal cancelled", name, info)
	}
	closeIt()
	info := mustInfo(t, c, name)
	if info.OpenCount != 0 {
		t.Errorf("Info(%s) = %+v after close, want it still there, closed", name, info)
	}
	// A deferred removal of a closed device is immediate.
	if info, err := c.Remove(name, dmctl.RemoveOptions{Deferred: true}); err != nil || info.DeferredRemove() {
		t.Fatalf("Remove(%s, deferred) of a closed device = %+v, %v", name, info, err)
	}
	checkGone(t, c, name)
}
