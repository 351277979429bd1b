package pool_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
	"github.com/dmctl/dmctl/pool"
	"github.com/dmctl/dmctl/pool/thinmeta"
)

// TestKernelCheck seeds one inconsistency of each kind into a live pool,
// checks that Check finds each and that Repair fixes them, then compares
// dmctl's metadata reader with thin_dump and runs thin_check. Run it with
// make vmtest, or by hand:
//
//	go test -exec $PWD/scripts/vmexec -run TestKernelCheck -v ./pool
func TestKernelCheck(t *testing.T) {
	ctl := dmtest.Require(t, "thin-pool", "thin", "zero")
	p := newTestPool(t, ctl, nil)
	for _, s := range [][2]string{{"img", ""}, {"ctr", "img"}, {"gone", ""}} {
		if _, err := p.CreateSnapshot(s[0], s[1], 0); err != nil {
			t.Fatalf("CreateSnapshot(%s) = %v", s[0], err)
		}
	}
	if r, err := p.Check(); err != nil || !r.Consistent() {
		t.Fatalf("Check() on a fresh pool = %+v, %v; want consistent", r.Findings, err)
	}
	view, err := p.ReadThinView()
	if err != nil {
		t.Fatalf("ReadThinView() = %v", err)
	}
	if len(view.Devices) != 4 {
		t.Errorf("ReadThinView() has %d thin ids, want 4 (base and three snapshots)", len(view.Devices))
	}

	names := p.Names()
	if _, err := ctl.Message(names.Pool, 0, "create_thin 999"); err != nil {
		t.Fatal(err)
	}
	if err := p.Store().WriteDevice(pool.DeviceMeta{ID: "ghost", DeviceID: 777, Size: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	gone, err := p.Store().ReadDevice("gone")
	if err != nil {
		t.Fatal(err)
	}
	gone.Deleted = true
	if err := p.Store().WriteDevice(gone); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.CreateDevice(names.Prefix+"-stray", "", []dmctl.Target{{Length: 2048, Type: "zero"}}, false); err != nil {
		t.Fatal(err)
	}

	r, err := p.Check()
	if err != nil {
		t.Fatalf("Check() = %v", err)
	}
	found := map[string]string{}
	for _, f := range r.Findings {
		found[f.Kind] = f.Subject
	}
	for kind, subject := range map[string]string{
		pool.FindingOrphanThin:     "thin id 999",
		pool.FindingLostDevice:     "ghost",
		pool.FindingDeletedPresent: "gone",
		pool.FindingOrphanDM:       names.Prefix + "-stray",
	} {
		if found[kind] != subject {
			t.Errorf("Check() finding %s = %q, want %q (all: %+v)", kind, found[kind], subject, r.Findings)
		}
	}
	if len(r.Findings) != 4 {
		t.Errorf("Check() found %d problems, want 4: %+v", len(r.Findings), r.Findings)
	}

	// Without --delete-thin the orphan thin id stays.
	if _, err := p.Repair(r, nil); err != nil {
		t.Fatalf("Repair(no data deletion) = %v", err)
	}
	r, err = p.Check()
	if err != nil || len(r.Findings) != 1 || r.Findings[0].Kind != pool.FindingOrphanThin {
		t.Fatalf("Check() after a safe repair = %+v, %v; want only the orphan thin id", r.Findings, err)
	}
	if _, err := p.Repair(r, []int{1}); err == nil {
		t.Errorf("Repair(delete thin id 1, the base's) = nil, want a refusal")
	}
	done, err := p.Repair(r, []int{999})
	if err != nil {
		t.Fatalf("Repair(delete thin id 999) = %v", err)
	}
	t.Logf("repaired: %v", done)
	if r, err = p.Check(); err != nil || !r.Consistent() {
		t.Fatalf("Check() after repair = %+v, %v; want consistent", r.Findings, err)
	}

	// An interrupted command's transaction: reported, and finished or
	// rolled back by the next command that opens the pool for writing.
	if err := p.Store().WriteTransaction(pool.Transaction{OpenTransactionID: r.TransactionID + 1,
		DeviceHash: "interrupted", DeviceID: 4242}); err != nil {
		t.Fatal(err)
	}
	if r, err = p.Check(); err != nil || len(r.Findings) != 1 || r.Findings[0].Kind != pool.FindingOpenTxn {
		t.Fatalf("Check() with an open transaction = %+v, %v; want it reported", r.Findings, err)
	}
	p.Close()
	p, err = pool.Open(p.Root(), pool.Env{DM: ctl, Sys: pool.HostSystem{}}, pool.OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("Open(Write) = %v", err)
	}
	t.Cleanup(func() {
		p.Destroy(true)
		p.Close()
	})
	if r, err = p.Check(); err != nil || !r.Consistent() {
		t.Fatalf("Check() after recovery = %+v, %v; want consistent", r.Findings, err)
	}

	// The reader against thin_dump and thin_check, on the pool's metadata
	// once the pool is down.
	if err := p.Deactivate(false); err != nil {
		t.Fatalf("Deactivate() = %v", err)
	}
	meta := p.Store().MetadataFile()
	out, err := exec.Command("thin_dump", meta).Output()
	if err != nil {
		t.Fatalf("thin_dump: %v", err)
	}
	want, err := thinmeta.ParseDumpXML(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("ParseDumpXML(thin_dump output) = %v", err)
	}
	sum, err := thinmeta.ReadFile(meta)
	if err != nil {
		t.Fatalf("thinmeta.ReadFile() = %v", err)
	}
	if diff := thinmeta.DiffDumps(want, sum.Dump); diff != nil {
		t.Errorf("dmctl's reader differs from thin_dump:\n%s", strings.Join(diff, "\n"))
	}
	if out, err := exec.Command("thin_check", meta).CombinedOutput(); err != nil {
		t.Errorf("thin_check: %v\n%s", err, out)
	}
	if err := p.Activate(); err != nil {
		t.Fatalf("Activate() = %v", err)
	}
}
