package pool_test

import (
	"crypto/sha256"
	"math/rand"
	"os"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelRemoveDiscard removes an inactive snapshot from a loop pool with
// discard on (the loop default): the data file gives back what the device
// held alone, at the very end of the device, and a snapshot sharing its
// other blocks reads back as it was (shared blocks are not passed down). Run it with make vmtest, or by hand:
//
//	go test -exec $PWD/scripts/vmexec -run TestKernelRemoveDiscard -v ./pool
func TestKernelRemoveDiscard(t *testing.T) {
	ctl := dmtest.Require(t, "thin-pool", "thin")
	p := newTestPool(t, ctl, nil)
	if !p.Config().Discard() {
		t.Fatal("a loop pool does not discard on removal by default")
	}
	const chunk = 8 << 20
	rnd := rand.New(rand.NewSource(7))
	shared, alone := make([]byte, chunk), make([]byte, chunk)
	rnd.Read(shared)
	rnd.Read(alone)

	if _, err := p.CreateSnapshot("victim", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ActivateDevice("victim"); err != nil {
		t.Fatal(err)
	}
	size, err := dmctl.DeviceSize(p.DevicePath("victim"))
	if err != nil {
		t.Fatal(err)
	}
	writeDeviceAt(t, p.DevicePath("victim"), 0, shared)
	// "keep" shares the first chunk (and the base's blocks) with victim.
	if _, err := p.CreateSnapshot("keep", "victim", 0); err != nil {
		t.Fatal(err)
	}
	// The last chunk of the device is victim's alone.
	writeDeviceAt(t, p.DevicePath("victim"), int64(size)-chunk, alone)
	if err := p.DeactivateDevice("victim", false); err != nil {
		t.Fatal(err)
	}
	dmctl.Sync()
	data := p.Store().DataFile()
	before, err := dmctl.AllocatedBytes(data)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := p.RemoveSnapshot([]string{"victim"}, false); err != nil {
		t.Fatalf("RemoveSnapshot(victim) = %v", err)
	}
	after, err := dmctl.AllocatedBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data file allocation %d -> %d bytes", before, after)
	if gave := int64(before) - int64(after); gave < chunk*95/100 {
		t.Errorf("snapshot removal gave back %d bytes of the data file, want >= %d (what it held alone)", gave, chunk*95/100)
	}
	if _, err := ctl.Info(p.Names().Device("victim")); err == nil {
		t.Errorf("victim is still active after its removal")
	}
	if _, err := p.ActivateDevice("keep"); err != nil {
		t.Fatal(err)
	}
	if got := readDevice(t, p.DevicePath("keep"), chunk); sha256.Sum256(got) != sha256.Sum256(shared) {
		t.Errorf("keep, which shared its first %d bytes with the removed device, changed", chunk)
	}
}

func writeDeviceAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync %s: %v", path, err)
	}
}
