package pool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDuplicateThinIDRefused copies one device file over another id (a bad
// restore or a hand edit): every change of thin ids and every activation
// is refused, naming both files, before anything changes; check reports it
// and its repair leaves it.
func TestDuplicateThinIDRefused(t *testing.T) {
	k, root, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("a1", "", 0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "metadata", "a1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "metadata", "a2"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.Close()
	q, err := Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer q.Close()
	msgs := len(k.msgs)
	thins := len(k.poolOf(q.Names().Pool).thins)
	wantErr := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrAmbiguousState) {
			t.Errorf("%s = %v, want ErrAmbiguousState", what, err)
			return
		}
		for _, f := range []string{filepath.Join(root, "metadata", "a1"), filepath.Join(root, "metadata", "a2")} {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%s = %q, does not name %s", what, err, f)
			}
		}
	}
	_, err = q.RemoveSnapshot([]string{"a2"}, false)
	wantErr("RemoveSnapshot(a2)", err)
	_, err = q.CreateSnapshot("x", "a1", 0)
	wantErr("CreateSnapshot(x of a1)", err)
	_, err = q.ActivateDevice("a2")
	wantErr("ActivateDevice(a2)", err)
	_, err = q.Mount("a1", t.TempDir(), "", false)
	wantErr("Mount(a1)", err)
	wantErr("Activate()", q.Activate())
	if len(k.msgs) != msgs || len(k.poolOf(q.Names().Pool).thins) != thins {
		t.Errorf("messages sent while refusing: %v", k.msgs[msgs:])
	}
	if _, err := k.Info(q.Names().Device("a2")); err == nil {
		t.Errorf("a2 was activated")
	}

	// Check's report and Repair's restraint are kernel tests (check reads
	// the pool's metadata snapshot).
	if got := duplicateClaims(mustDevices(t, q)); len(got) != 1 || got[0].ThinID != 2 || !slices.Equal(got[0].IDs, []string{"a1", "a2"}) {
		t.Errorf("duplicateClaims() = %+v, want thin id 2 claimed by a1 and a2", got)
	}

	// Once the copy is removed, everything works again.
	if err := os.Remove(filepath.Join(root, "metadata", "a2")); err != nil {
		t.Fatal(err)
	}
	if _, err := q.RemoveSnapshot([]string{"a1"}, false); err != nil {
		t.Errorf("RemoveSnapshot(a1) after the fix = %v", err)
	}
	checkConsistent(t, k, q)
}

// TestZeroedMetadataRefused zeroes (and then removes) the metadata of a
// pool with devices while it is down: activate refuses to load the pool
// (the kernel would format empty metadata), names the file and changes
// nothing; metadata older than the device files is refused too.
func TestZeroedMetadataRefused(t *testing.T) {
	k, root, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("img", "", 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Deactivate(false); err != nil {
		t.Fatal(err)
	}
	p.Close()
	meta := filepath.Join(root, "devicemapper", "metadata")
	good, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, len(good))
	if err := os.WriteFile(meta, zero, 0o600); err != nil {
		t.Fatal(err)
	}
	activate := func() error {
		q, err := Open(root, k.env(), OpenOptions{Write: true})
		if err != nil {
			return err
		}
		defer q.Close()
		return q.Activate()
	}
	err = activate()
	if !errors.Is(err, ErrMetadataMissing) || !strings.Contains(err.Error(), meta) || !strings.Contains(err.Error(), "all zeros") {
		t.Errorf("Activate over zeroed metadata = %v, want ErrMetadataMissing naming %s", err, meta)
	}
	if len(k.devs) != 0 || len(k.loops) != 0 {
		t.Errorf("after the refusal: devices %v, loops %v, want none", k.devs, k.loops)
	}

	// An older superblock (transaction 1, the devices say 2).
	older := k.pools[meta]
	older.txID = 1
	k.persist(meta, older)
	if err := activate(); !errors.Is(err, ErrMetadataMissing) || !strings.Contains(err.Error(), "older") {
		t.Errorf("Activate over older metadata = %v, want ErrMetadataMissing", err)
	}
	older.txID = 2
	if err := os.WriteFile(meta, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := activate(); err != nil {
		t.Errorf("Activate over the restored metadata = %v", err)
	}
}

func mustDevices(t *testing.T, p *Pool) []DeviceMeta {
	t.Helper()
	devs, err := p.Store().Devices()
	if err != nil {
		t.Fatal(err)
	}
	return devs
}
