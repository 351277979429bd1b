package pool_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
	"github.com/dmctl/dmctl/pool"
)

// TestKernelTrim writes known data to several thin devices, deletes some
// without discard, trims the pool online and checks that the data file
// gave back at least 95% of what the deleted devices held exclusively, that
// every surviving device reads back intact, and that thin_check finds the
// metadata clean. Run it with make vmtest, or by hand:
//
//	go test -exec $PWD/scripts/vmexec -run TestKernelTrim -v ./pool
func TestKernelTrim(t *testing.T) {
	ctl := dmtest.Require(t, "thin-pool", "thin")
	off := false
	p := newTestPool(t, ctl, func(cfg *pool.Config) {
		cfg.BlkDiscard = &off // deletions leave their blocks in the data file
	})

	const perDevice = 16 << 20
	sums := map[string][32]byte{}
	for i, id := range []string{"d0", "d1", "d2", "d3", "d4", "d5"} {
		if _, err := p.CreateSnapshot(id, "", 0); err != nil {
			t.Fatalf("CreateSnapshot(%s) = %v", id, err)
		}
		if _, err := p.ActivateDevice(id); err != nil {
			t.Fatalf("ActivateDevice(%s) = %v", id, err)
		}
		buf := make([]byte, perDevice)
		rand.New(rand.NewSource(int64(i + 1))).Read(buf)
		writeDevice(t, p.DevicePath(id), buf)
		sums[id] = sha256.Sum256(buf)
	}
	// A snapshot of d0 shares all of d0's blocks: deleting nothing of it
	// frees them, and it must read back as d0 did.
	if _, err := p.CreateSnapshot("s0", "d0", 0); err != nil {
		t.Fatalf("CreateSnapshot(s0) = %v", err)
	}
	sums["s0"] = sums["d0"]
	dmctl.Sync()
	checkUsageAgainstThinLs(t, ctl, p)
	view, err := p.ReadThinView()
	if err != nil {
		t.Fatalf("ReadThinView() = %v", err)
	}
	for id, want := range map[string][2]bool{"d4": {true, false}, "d0": {false, true}} {
		m, err := p.Store().ReadDevice(id)
		if err != nil {
			t.Fatal(err)
		}
		u := view.Devices[m.DeviceID]
		if got := u.ExclusiveBytes() >= perDevice; got != want[0] {
			t.Errorf("%s: exclusive %d bytes, want >= %d: %v", id, u.ExclusiveBytes(), perDevice, want[0])
		}
		if got := u.SharedBytes() >= perDevice; got != want[1] {
			t.Errorf("%s: shared %d bytes, want >= %d: %v", id, u.SharedBytes(), perDevice, want[1])
		}
	}

	if _, err := p.RemoveSnapshot([]string{"d1", "d2", "d3"}, false); err != nil {
		t.Fatalf("RemoveSnapshot() = %v", err)
	}
	delete(sums, "d1")
	delete(sums, "d2")
	delete(sums, "d3")
	data := p.Store().DataFile()
	before, _ := dmctl.AllocatedBytes(data)

	dry, err := p.Trim(pool.TrimOptions{DryRun: true})
	if err != nil {
		t.Fatalf("Trim(dry run) = %v", err)
	}
	if got, _ := dmctl.AllocatedBytes(data); got != before {
		t.Errorf("dry run changed the data file's allocation: %d -> %d", before, got)
	}
	if dry.FreeBytes < 3*perDevice {
		t.Errorf("dry run FreeBytes = %d, want >= %d", dry.FreeBytes, 3*perDevice)
	}
	if dry.Suspended != 0 {
		t.Errorf("dry run suspended the pool for %v", dry.Suspended)
	}

	res, err := p.Trim(pool.TrimOptions{})
	if err != nil {
		t.Fatalf("Trim() = %v", err)
	}
	t.Logf("trim: %d free runs, %d free bytes, allocated %d -> %d, pool suspended %v",
		res.Runs, res.FreeBytes, res.AllocatedBefore, res.AllocatedAfter, res.Suspended)
	if want := uint64(3 * perDevice * 95 / 100); res.Reclaimed() < want {
		t.Errorf("Trim() reclaimed %d bytes, want >= %d (95%% of what the deleted devices held)", res.Reclaimed(), want)
	}
	// The dry run, read through a metadata snapshot without suspending the
	// pool, foretold the same free blocks and what they gave back, within 5%.
	if dry.FreeBlocks != res.FreeBlocks || dry.Runs != res.Runs {
		t.Errorf("dry run found %d free blocks in %d runs, the trim %d in %d", dry.FreeBlocks, dry.Runs, res.FreeBlocks, res.Runs)
	}
	if d, r := float64(dry.Reclaimed()), float64(res.Reclaimed()); d < r*0.95 || d > r*1.05 {
		t.Errorf("dry run foretold %d bytes reclaimed, the trim reclaimed %d: not within 5%%", dry.Reclaimed(), res.Reclaimed())
	}
	for id, want := range sums {
		if _, err := p.ActivateDevice(id); err != nil {
			t.Fatalf("ActivateDevice(%s) = %v", id, err)
		}
		if got := sha256.Sum256(readDevice(t, p.DevicePath(id), perDevice)); got != want {
			t.Errorf("device %s changed after trim", id)
		}
	}

	// thin_check needs the pool offline.
	if err := p.Deactivate(false); err != nil {
		t.Fatalf("Deactivate() = %v", err)
	}
	out, err := exec.Command("thin_check", p.Store().MetadataFile()).CombinedOutput()
	if err != nil {
		t.Errorf("thin_check: %v\n%s", err, out)
	}
	if err := p.Activate(); err != nil {
		t.Fatalf("Activate() = %v", err)
	}
}

func writeDevice(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync %s: %v", path, err)
	}
}

func readDevice(t *testing.T, path string, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return buf
}

// checkUsageAgainstThinLs compares ReadThinView with thin_ls -m run on the
// live pool's metadata device while a metadata snapshot is held.
func checkUsageAgainstThinLs(t *testing.T, ctl *dmctl.Control, p *pool.Pool) {
	t.Helper()
	view, err := p.ReadThinView()
	if err != nil {
		t.Fatalf("ReadThinView() = %v", err)
	}
	_, table, err := ctl.Table(p.Names().Pool, dmctl.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := pool.ParsePoolTable(table[0].Params)
	if err != nil {
		t.Fatal(err)
	}
	meta := "/dev/" + dmctl.BlockName(pt.MetadataDev)
	if _, err := ctl.Message(p.Names().Pool, 0, "reserve_metadata_snap"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("thin_ls", "-m", "--no-headers",
		"--format", "DEV,MAPPED_BLOCKS,EXCLUSIVE_BLOCKS,SHARED_BLOCKS", meta).CombinedOutput()
	if _, rerr := ctl.Message(p.Names().Pool, 0, "release_metadata_snap"); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("thin_ls: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(view.Devices) {
		t.Errorf("thin_ls lists %d devices, ReadThinView %d:\n%s", len(lines), len(view.Devices), out)
	}
	for _, line := range lines {
		var dev int
		var mapped, excl, shared uint64
		if _, err := fmt.Sscan(line, &dev, &mapped, &excl, &shared); err != nil {
			t.Fatalf("thin_ls line %q: %v", line, err)
		}
		u, ok := view.Devices[dev]
		if !ok {
			t.Errorf("thin id %d: in thin_ls, not in ReadThinView", dev)
			continue
		}
		if u.MappedBlocks != mapped || u.ExclusiveBlocks != excl || u.SharedBlocks != shared {
			t.Errorf("thin id %d: ReadThinView mapped/exclusive/shared %d/%d/%d, thin_ls %d/%d/%d",
				dev, u.MappedBlocks, u.ExclusiveBlocks, u.SharedBlocks, mapped, excl, shared)
		}
	}
}

// newTestPool creates a small loop pool (1 GiB data, ext4 base) under
// t.TempDir with device names unique to the test, destroyed at cleanup.
func newTestPool(t *testing.T, ctl *dmctl.Control, tweak func(*pool.Config)) *pool.Pool {
	t.Helper()
	cfg := pool.DefaultConfig()
	cfg.NameWord = strings.ReplaceAll(dmtest.Name(t), "-", "")[:20]
	cfg.DataLoopSize, cfg.MetadataLoopSize, cfg.BaseSize = 1<<30, 64<<20, 64<<20
	cfg.Filesystem = pool.FSExt4
	if tweak != nil {
		tweak(&cfg)
	}
	env := pool.Env{DM: ctl, Sys: pool.HostSystem{}}
	p, err := pool.Create(filepath.Join(t.TempDir(), "root"), cfg, env, pool.CreateOptions{})
	if err != nil {
		t.Fatalf("Create() = %v", err)
	}
	t.Cleanup(func() {
		p.Destroy(true)
		p.Close()
	})
	return p
}
