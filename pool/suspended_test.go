package pool

import (
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

// TestSuspendedByOthersRefused: I/O through a device someone else
// suspended would hang in the kernel, so mount, umount and snapshot rm of
// such a device are refused with one line saying how to go on, and work
// once it is resumed.
func TestSuspendedByOthersRefused(t *testing.T) {
	k, _, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("a", "", 0); err != nil {
		t.Fatal(err)
	}
	name := p.Names().Device("a")
	if _, err := p.ActivateDevice("a"); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "device "+name+" is suspended, and not by dmctl") || !strings.Contains(err.Error(), "dmctl resume "+name) {
			t.Errorf("%s of a device suspended by someone else = %v, want a refusal", what, err)
		}
	}
	if _, err := k.Suspend(name, dmctl.SuspendOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := p.Mount("a", "", "", false)
	refused("Mount", err)
	_, err = p.RemoveSnapshot([]string{"a"}, false)
	refused("RemoveSnapshot", err)
	if _, ok := k.devs[name]; !ok {
		t.Fatalf("the refused removal removed %s", name)
	}
	k.Resume(name)
	if _, err := p.Mount("a", "", "", false); err != nil {
		t.Fatalf("Mount once resumed = %v", err)
	}
	k.Suspend(name, dmctl.SuspendOptions{})
	refused("Umount", p.Umount("a"))
	k.Resume(name)
	if err := p.Umount("a"); err != nil {
		t.Fatalf("Umount once resumed = %v", err)
	}
	if _, err := p.RemoveSnapshot([]string{"a"}, false); err != nil {
		t.Fatalf("RemoveSnapshot once resumed = %v", err)
	}
	checkConsistent(t, k, p)
}
