package pool

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

// copyRoot copies a root as cp -a would: same names, new files.
func copyRoot(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCopiedRootRefused: a copy of a root records the original's pool
// name; while the original's pool runs, the copy is refused before
// anything changes, for readers and writers alike, and the other way
// round once the copy's pool is the one running.
func TestCopiedRootRefused(t *testing.T) {
	k, root, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("a", "", 0); err != nil {
		t.Fatal(err)
	}
	p.Close()
	copied := filepath.Join(t.TempDir(), "copy")
	copyRoot(t, root, copied)
	// The fake keeps a pool's thin devices by its metadata file: the
	// copied file holds the same ones.
	orig := *k.pools[filepath.Join(root, "devicemapper", "metadata")]
	orig.thins = maps.Clone(orig.thins)
	k.pools[filepath.Join(copied, "devicemapper", "metadata")] = &orig

	msgs := len(k.msgs)
	for _, write := range []bool{false, true} {
		q, err := Open(copied, k.env(), OpenOptions{Write: write})
		if err == nil {
			q.Close()
			t.Fatalf("Open(copy, write=%v) = nil, want a refusal", write)
		}
		if s := err.Error(); !strings.Contains(s, filepath.Join(root, "devicemapper", "data")) || !strings.Contains(s, "copy") {
			t.Errorf("Open(copy, write=%v) = %v, want the original's data file named", write, err)
		}
	}
	if len(k.msgs) != msgs {
		t.Errorf("refused opens sent %q", k.msgs[msgs:])
	}
	if q, err := Open(root, k.env(), OpenOptions{Write: true}); err != nil {
		t.Errorf("Open(original) = %v", err)
	} else {
		checkConsistent(t, k, q)
		if err := q.Deactivate(false); err != nil {
			t.Fatal(err)
		}
		q.Close()
	}

	// The copy activates the pool: now it is the original that is refused.
	q, err := Open(copied, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("Open(copy, pool inactive) = %v", err)
	}
	if err := q.Activate(); err != nil {
		t.Fatalf("Activate(copy) = %v", err)
	}
	q.Close()
	if q, err := Open(root, k.env(), OpenOptions{}); err == nil || !strings.Contains(err.Error(), filepath.Join(copied, "devicemapper", "data")) {
		if err == nil {
			q.Close()
		}
		t.Errorf("Open(original, copy's pool running) = %v, want a refusal naming the copy's data file", err)
	}
}

// TestPoolOnOtherDevicesRefused: a direct pool whose running table is on
// devices other than the ones its record names, or a loop pool running on
// something that is not a loop device, is not this root's.
func TestPoolOnOtherDevicesRefused(t *testing.T) {
	k, root, p := newLoopPool(t)
	name := p.Names().Pool
	p.Close()
	_, targets, err := k.Table(name, dmctl.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The same table, its data device swapped for a disk.
	k.blockDevs["/dev/sdz"] = dmctl.MakeDev(8, 240)
	f := strings.Fields(targets[0].Params)
	f[1] = "8:240"
	targets[0].Params = strings.Join(f, " ")
	k.devs[name].live = targets
	if q, err := Open(root, k.env(), OpenOptions{}); err == nil || !strings.Contains(err.Error(), "8:240 (not a loop device)") {
		if err == nil {
			q.Close()
		}
		t.Errorf("Open(pool on a disk) = %v, want a refusal naming 8:240", err)
	}
}

// TestReplacedRootFileRefused: a backup restored over the root while its
// pool runs leaves the pool on the old (deleted) files; the root is
// refused with advice on how to go on with the new ones.
func TestReplacedRootFileRefused(t *testing.T) {
	k, root, p := newLoopPool(t)
	p.Close()
	data := filepath.Join(root, "devicemapper", "data")
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data+".restored", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(data+".restored", data); err != nil {
		t.Fatal(err)
	}
	for _, write := range []bool{false, true} {
		q, err := Open(root, k.env(), OpenOptions{Write: write})
		if err == nil {
			q.Close()
			t.Fatalf("Open(root with a replaced data file, write=%v) = nil, want a refusal", write)
		}
		if s := err.Error(); !strings.Contains(s, "was replaced while the pool ran") || !strings.Contains(s, "dmctl remove") {
			t.Errorf("Open(root with a replaced data file, write=%v) = %v, want the replacement named and a way on", write, err)
		}
	}
}
