//go:build linux

package commands_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// thinPoolDevices makes a thin pool (64 KiB blocks, 8 MiB of metadata, 64
// MiB of data, each on a loop device) named prefix-pool and returns its
// name and the data and metadata loop device paths.
func thinPoolDevices(t *testing.T, prefix string) (pool, metaPath, dataPath string) {
	t.Helper()
	meta := dmtest.LoopFile(t, 8<<20)
	data := dmtest.LoopFile(t, 64<<20)
	pool = prefix + "-pool"
	mustRun(t, "create", "--table",
		fmt.Sprintf("0 131072 thin-pool %s %s 128 0 1 skip_block_zeroing", meta.Path, data.Path), pool)
	return pool, meta.Path, data.Path
}

// poolStatusField returns field i (0-based) of dmsetup's status line of a
// thin pool: transaction, used/total metadata, used/total data, held root,
// mode, ...
func poolStatusField(t *testing.T, pool string, i int) string {
	t.Helper()
	f := strings.Fields(dmtest.Dmsetup(t, "status", pool))
	if len(f) < 3+i+1 {
		t.Fatalf("dmsetup status %s = %q", pool, f)
	}
	return f[3+i]
}

func TestKernelThinMessages(t *testing.T) {
	dmtest.Require(t, "thin-pool", "thin")
	p := dmtest.Name(t)
	pool, _, _ := thinPoolDevices(t, p)
	wantState(t, pool, "L--w", "")

	if out := mustRun(t, "message", pool, "0", "create_thin", "7"); out != "" {
		t.Errorf("dmctl message create_thin = %q, want no output", out)
	}
	// The thin device exists: dmsetup can activate it.
	dmtest.Dmsetup(t, "create", p+"-thin7", "--table", fmt.Sprintf("0 2048 thin /dev/mapper/%s 7", pool))
	wantState(t, p+"-thin7", "L--w", "")
	wantFailure(t, 1, pool, "message", pool, "0", "create_thin", "7")

	mustRun(t, "message", pool, "0", "create_snap", "8", "7")
	mustRun(t, "message", pool, "0", "set_transaction_id", "0", "5")
	if got := poolStatusField(t, pool, 0); got != "5" {
		t.Errorf("dmsetup status: transaction id = %s, want 5", got)
	}
	wantFailure(t, 1, pool, "message", pool, "0", "set_transaction_id", "0", "6")

	mustRun(t, "message", pool, "0", "reserve_metadata_snap")
	if got := poolStatusField(t, pool, 3); got == "-" {
		t.Errorf("dmsetup status: held metadata root = %s after reserve_metadata_snap, want a block", got)
	}
	compareDmsetup(t, "status", pool)
	compareDmsetup(t, "status", pool, p+"-thin7")
	compareDmsetup(t, "table", pool, p+"-thin7")
	compareDmsetup(t, "deps", pool, p+"-thin7")
	out := mustRun(t, "--output", "json", "status", pool)
	if !strings.Contains(out, `"held_metadata_root"`) {
		t.Errorf("dmctl --output json status %s = %s, want held_metadata_root", pool, out)
	}
	mustRun(t, "message", pool, "0", "release_metadata_snap")
	if got := poolStatusField(t, pool, 3); got != "-" {
		t.Errorf("dmsetup status: held metadata root = %s after release_metadata_snap, want -", got)
	}
	mustRun(t, "message", pool, "0", "delete", "8")
	wantFailure(t, 1, pool, "message", pool, "0", "delete", "8")
	wantFailure(t, 1, pool, "message", pool, "0", "no_such_message")
}

// statusEntry is the part of dmctl status --output json the tests read.
type statusEntry struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	Type string `json:"type"`
	Size uint64 `json:"size_bytes"`
	Pool *struct {
		TransactionID  uint64 `json:"transaction_id"`
		BlockBytes     uint64 `json:"block_size_bytes"`
		DataUsedBytes  uint64 `json:"data_used_bytes"`
		DataTotalBytes uint64 `json:"data_total_bytes"`
		MetaTotalBytes uint64 `json:"metadata_total_bytes"`
		MetaUsedBytes  uint64 `json:"metadata_used_bytes"`
		Mode           string `json:"mode"`
	} `json:"pool"`
	Thin *struct {
		MappedBytes uint64 `json:"mapped_bytes"`
	} `json:"thin"`
	Targets []struct {
		Type   string `json:"type"`
		Status string `json:"status"`
	} `json:"targets"`
}

// treeEntry is a node of dmctl ls --tree --output json.
type treeEntry struct {
	Name     string      `json:"name"`
	Type     string      `json:"type"`
	Size     uint64      `json:"size_bytes"`
	Children []treeEntry `json:"children"`
}

func TestKernelThinStatusAndLists(t *testing.T) {
	dmtest.Require(t, "thin-pool", "thin", "zero")
	p := dmtest.Name(t)
	pool, _, dataPath := thinPoolDevices(t, p)
	thin := p + "-thin"
	mustRun(t, "message", pool, "0", "create_thin", "0")
	mustRun(t, "create", "--uuid", "DMCTL-"+p, "--table", fmt.Sprintf("0 65536 thin /dev/mapper/%s 0", pool), thin)
	mustRun(t, "create", "--table", "0 8 zero", p+"-zero")

	// Write 1 MiB to the thin device: 16 blocks of 64 KiB get mapped.
	f, err := os.OpenFile("/dev/mapper/"+thin, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var st []statusEntry
	decodeJSON(t, mustRun(t, "--output", "json", "status", pool, thin, p+"-zero"), &st)
	if len(st) != 3 {
		t.Fatalf("dmctl --output json status = %d devices, want 3", len(st))
	}
	ps, ts, zs := st[0], st[1], st[2]
	if ps.Name != pool || ps.Type != "thin-pool" || ps.Pool == nil {
		t.Fatalf("status of the pool = %+v", ps)
	}
	if got := ps.Pool; got.BlockBytes != 64<<10 || got.DataTotalBytes != 64<<20 || got.DataUsedBytes != 1<<20 ||
		got.MetaTotalBytes != 8<<20 || got.MetaUsedBytes == 0 || got.Mode != "rw" {
		t.Errorf("pool status = %+v, want 64 KiB blocks, 1 MiB of 64 MiB data used, 8 MiB metadata, rw", *got)
	}
	if ts.Name != thin || ts.UUID != "DMCTL-"+p || ts.Type != "thin" || ts.Size != 65536*512 || ts.Thin == nil ||
		ts.Thin.MappedBytes != 1<<20 {
		t.Errorf("status of the thin device = %+v, want 1 MiB mapped", ts)
	}
	if zs.Pool != nil || zs.Thin != nil || len(zs.Targets) != 1 || zs.Targets[0].Type != "zero" {
		t.Errorf("status of the zero device = %+v", zs)
	}
	// The raw status agrees with dmsetup.
	if want := dmtest.Dmsetup(t, "status", thin); !strings.HasSuffix(strings.TrimSpace(want), ts.Targets[0].Status) {
		t.Errorf("dmctl json status of %s = %q; dmsetup status = %q", thin, ts.Targets[0].Status, want)
	}

	// status --target keeps only the devices with such a target.
	st = nil
	decodeJSON(t, mustRun(t, "--output", "json", "status", "--target", "thin"), &st)
	if len(st) != 1 || st[0].Name != thin {
		t.Errorf("dmctl status --target thin = %+v, want only %s", st, thin)
	}
	// The table form: one row a device, with the parsed figures.
	out := mustRun(t, "status", "--noflush", pool, thin)
	for _, want := range []string{"NAME", pool, thin, "data 1.0MiB/64MiB", "mapped 1.0MiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("dmctl status = \n%s\nwant it to contain %q", out, want)
		}
	}

	// ls, in the table and JSON forms.
	out = mustRun(t, "ls")
	for _, want := range []string{"UUID", pool, thin} {
		if !strings.Contains(out, want) {
			t.Errorf("dmctl ls = \n%s\nwant %q", out, want)
		}
	}
	t.Run("uuid column", func(t *testing.T) {
		if !strings.Contains(out, "DMCTL-"+p) {
			// ls asks the kernel for uuids only for --output json.
			t.Errorf("dmctl ls leaves its UUID column empty:\n%s", out)
		}
	})
	var ls []struct {
		Name  string `json:"name"`
		UUID  string `json:"uuid"`
		Major uint32 `json:"major"`
	}
	decodeJSON(t, mustRun(t, "--output", "json", "ls"), &ls)
	found := 0
	for _, e := range ls {
		if e.Name == thin && e.UUID == "DMCTL-"+p || e.Name == pool {
			found++
		}
	}
	if found != 2 {
		t.Errorf("dmctl --output json ls = %+v, want %s with its uuid and %s", ls, thin, pool)
	}
	decodeJSON(t, mustRun(t, "--output", "json", "ls", "--target", "thin-pool"), &ls)
	if len(ls) != 1 || ls[0].Name != pool {
		t.Errorf("dmctl --output json ls --target thin-pool = %+v, want %s", ls, pool)
	}

	// ls --tree: the data loop file, its loop device, the pool, the thin
	// device.
	var tree []treeEntry
	decodeJSON(t, mustRun(t, "--output", "json", "ls", "--tree"), &tree)
	path := treePath(tree, thin)
	if len(path) != 4 || path[0].Type != "file" || path[1].Type != "loop" || path[2].Name != pool ||
		path[2].Type != "thin-pool" || path[3].Size != 65536*512 {
		t.Errorf("dmctl ls --tree: path to %s = %+v, want file > loop > pool > thin", thin, path)
	}
	if path := treePath(tree, p+"-zero"); len(path) != 1 {
		t.Errorf("dmctl ls --tree: path to %s = %+v, want a root", p+"-zero", path)
	}
	out = mustRun(t, "ls", "--tree")
	for _, want := range []string{pool, thin, p + "-zero", strings.TrimPrefix(dataPath, "/dev/")} {
		if !strings.Contains(out, want) {
			t.Errorf("dmctl ls --tree = \n%s\nwant %q", out, want)
		}
	}
}

// treePath returns the nodes from a root down to the node named name.
func treePath(nodes []treeEntry, name string) []treeEntry {
	for _, n := range nodes {
		if n.Name == name {
			return []treeEntry{n}
		}
		if sub := treePath(n.Children, name); sub != nil {
			return append([]treeEntry{n}, sub...)
		}
	}
	return nil
}

// TestKernelInfoForms checks the table and JSON forms of info NAME
// against dmsetup.
func TestKernelInfoForms(t *testing.T) {
	dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	mustRun(t, "create", "--uuid", "DMCTL-"+p, "--readonly", "--table", "0 8 zero", p+"-a")
	mustRun(t, "load", "--table", "0 16 zero", p+"-a")
	mustRun(t, "create", "--table", "0 8 zero", p+"-b")
	mustRun(t, "suspend", p+"-b")
	var infos []struct {
		Name          string `json:"name"`
		UUID          string `json:"uuid"`
		Major, Minor  uint32
		Suspended     bool  `json:"suspended"`
		ReadOnly      bool  `json:"read_only"`
		LiveTable     bool  `json:"live_table"`
		InactiveTable bool  `json:"inactive_table"`
		OpenCount     int32 `json:"open_count"`
		TargetCount   int   `json:"target_count"`
	}
	decodeJSON(t, mustRun(t, "--output", "json", "info", p+"-a", p+"-b"), &infos)
	if len(infos) != 2 {
		t.Fatalf("dmctl --output json info = %+v, want 2 devices", infos)
	}
	a, b := infos[0], infos[1]
	if a.Name != p+"-a" || a.UUID != "DMCTL-"+p || !a.ReadOnly || !a.LiveTable || !a.InactiveTable || a.Suspended || a.TargetCount != 1 {
		t.Errorf("info %s = %+v", p+"-a", a)
	}
	if b.Name != p+"-b" || !b.Suspended || b.ReadOnly || b.InactiveTable {
		t.Errorf("info %s = %+v", p+"-b", b)
	}
	out := mustRun(t, "info", p+"-a")
	if !strings.Contains(out, p+"-a") || !strings.Contains(out, "DMCTL-"+p) {
		t.Errorf("dmctl info %s = \n%s", p+"-a", out)
	}
	out = mustRun(t, "info", "-c", p+"-a", p+"-b")
	if !strings.Contains(out, p+"-a") || !strings.Contains(out, p+"-b") {
		t.Errorf("dmctl info -c = \n%s", out)
	}
	mustRun(t, "resume", p+"-b")
}

// TestKernelStackedRemoveOrder checks that a device in use by another
// cannot be removed, and that both go once the user is gone.
func TestKernelStackedRemoveOrder(t *testing.T) {
	dmtest.Require(t, "zero", "linear")
	p := dmtest.Name(t)
	mustRun(t, "create", "--table", "0 64 zero", p+"-a")
	mustRun(t, "create", "--table", "0 32 linear /dev/mapper/"+p+"-a 16", p+"-b")
	if s := dmOracle(t, p+"-a"); s.open != "1" {
		t.Errorf("dmsetup: open count of %s = %s, want 1", p+"-a", s.open)
	}
	wantFailure(t, 1, p+"-a", "remove", p+"-a")
	mustRun(t, "remove", p+"-b", p+"-a")
	wantGone(t, p+"-a")
	wantGone(t, p+"-b")
}
