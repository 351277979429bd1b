package pool_test

import (
	"crypto/sha256"
	"math/rand"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
	"github.com/dmctl/dmctl/pool"
)

// TestKernelDockerRoot lays out a root exactly as Docker's devicemapper
// driver left one (loop files, per-device JSON, deviceset-metadata, and no
// file of dmctl's own, names from stat() of the root as Docker made them),
// then has dmctl activate it after a simulated reboot, read a device's data
// back intact and go on making snapshots. Run it with make vmtest, or by
// hand:
//
//	go test -exec $PWD/scripts/vmexec -run TestKernelDockerRoot -v ./pool
func TestKernelDockerRoot(t *testing.T) {
	ctl := dmtest.Require(t, "thin-pool", "thin")
	env := pool.Env{DM: ctl, Sys: pool.HostSystem{}}
	root := filepath.Join(t.TempDir(), "devicemapper")
	cfg := pool.DefaultConfig() // name word "docker", as Docker named them
	cfg.DataLoopSize, cfg.MetadataLoopSize, cfg.BaseSize = 1<<30, 64<<20, 64<<20
	cfg.Filesystem = pool.FSExt4
	p, err := pool.Create(root, cfg, env, pool.CreateOptions{})
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	prefix, err := pool.RootPrefix(root, "docker")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Names().Pool; got != prefix+"-pool" {
		t.Errorf("pool name = %q, want Docker's %q", got, prefix+"-pool")
	}
	if _, err := p.CreateSnapshot("layer", "", 0); err != nil {
		t.Fatalf("CreateSnapshot() = %v", err)
	}
	if _, err := p.ActivateDevice("layer"); err != nil {
		t.Fatalf("ActivateDevice() = %v", err)
	}
	data := make([]byte, 4<<20)
	rand.New(rand.NewSource(7)).Read(data)
	writeDevice(t, p.DevicePath("layer"), data)
	want := sha256.Sum256(data)
	// A reboot, and what Docker would have left: no dmctl-pool.json.
	if err := p.Deactivate(false); err != nil {
		t.Fatalf("Deactivate() = %v", err)
	}
	if err := p.Store().RemovePoolRecord(); err != nil {
		t.Fatal(err)
	}
	p.Close()

	q, err := pool.Open(root, env, pool.OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("Open(Docker's root) = %v", err)
	}
	t.Cleanup(func() {
		q.Destroy(true)
		q.Close()
	})
	if !q.DockerRoot() {
		t.Errorf("DockerRoot() = false for a root without dmctl-pool.json")
	}
	if err := q.Activate(); err != nil {
		t.Fatalf("Activate(Docker's root) = %v", err)
	}
	if got := q.Names().Pool; got != prefix+"-pool" {
		t.Errorf("pool name after activation = %q, want %q", got, prefix+"-pool")
	}
	if _, err := q.ActivateDevice("layer"); err != nil {
		t.Fatalf("ActivateDevice() = %v", err)
	}
	if got := sha256.Sum256(readDevice(t, q.DevicePath("layer"), len(data))); got != want {
		t.Errorf("device layer's data changed across the reboot")
	}
	if _, err := q.CreateSnapshot("container", "layer", 0); err != nil {
		t.Fatalf("CreateSnapshot() on Docker's root = %v", err)
	}
	if r, err := q.Check(); err != nil || !r.Consistent() {
		t.Errorf("Check() = %+v, %v; want consistent", r.Findings, err)
	}
	if err := q.Deactivate(false); err != nil {
		t.Fatalf("Deactivate() = %v", err)
	}
	if out, err := exec.Command("thin_check", q.Store().MetadataFile()).CombinedOutput(); err != nil {
		t.Errorf("thin_check: %v\n%s", err, out)
	}
	if err := q.Activate(); err != nil {
		t.Fatalf("Activate() = %v", err)
	}
}
