//go:build linux

package commands_test

// Kernel test: trim --dry-run against the real trim, through the command
// line. Run by hand with:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TrimDryRun ./commands

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// trimReport is what trim --output json says.
type trimReport struct {
	DryRun          bool    `json:"dry_run"`
	FreeDataBlocks  uint64  `json:"free_data_blocks"`
	FreeRuns        int     `json:"free_runs"`
	AllocatedBefore *uint64 `json:"allocated_before_bytes"`
	AllocatedAfter  *uint64 `json:"allocated_after_bytes"`
	Reclaimed       *uint64 `json:"reclaimed_bytes"`
	Suspended       *int64  `json:"suspended_microseconds"`
}

// TestKernelTrimDryRun fills two thin devices with data, deletes them
// without discard (their blocks stay in the data file), and checks that
// trim --dry-run changes nothing, leaves no metadata snapshot held, and
// foretells within 5% what the real trim then gives back.
func TestKernelTrimDryRun(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "512M", "--metadata-size", "8M", "--base-size", "64M",
		"--fs", "ext4", "--no-blkdiscard")
	data := filepath.Join(f.root, "devicemapper", "data")
	buf := make([]byte, 12<<20)
	for _, id := range []string{"a", "b"} {
		f.must("snapshot", "create", id)
		mnt := strings.TrimSpace(f.must("mount", id))
		if _, err := rand.Read(buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mnt, "blob"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		f.must("umount", id)
	}
	f.must("snapshot", "rm", "a", "b")
	before := allocated(t, data)

	var dry trimReport
	decodeJSON(t, f.must("--output", "json", "trim", "--dry-run"), &dry)
	if got := allocated(t, data); got != before {
		t.Errorf("trim --dry-run changed the data file's allocation: %d -> %d", before, got)
	}
	if !dry.DryRun || dry.Suspended != nil || dry.AllocatedAfter != nil || dry.Reclaimed == nil {
		t.Errorf("trim --dry-run = %+v, want dry_run, no suspension, no after, a reclaimable figure", dry)
	}
	if held := poolStatusField(t, f.poolName(), 3); held != "-" {
		t.Errorf("after trim --dry-run the pool still holds metadata snapshot %s", held)
	}
	text := f.must("trim", "--dry-run")
	if !strings.Contains(text, "Reclaimable: ") || !strings.Contains(text, "Pool Suspended: no") {
		t.Errorf("trim --dry-run =\n%s\nwant Reclaimable and Pool Suspended: no", text)
	}

	var real trimReport
	decodeJSON(t, f.must("--output", "json", "trim"), &real)
	if real.DryRun || real.Suspended == nil || real.Reclaimed == nil {
		t.Fatalf("trim = %+v", real)
	}
	if *real.Reclaimed < 20<<20 {
		t.Errorf("trim reclaimed %d bytes, want at least 20 MiB of the 24 MiB deleted", *real.Reclaimed)
	}
	if dry.FreeDataBlocks != real.FreeDataBlocks {
		t.Errorf("free data blocks: dry run %d, trim %d", dry.FreeDataBlocks, real.FreeDataBlocks)
	}
	if d, r := float64(*dry.Reclaimed), float64(*real.Reclaimed); d < r*0.95 || d > r*1.05 {
		t.Errorf("trim --dry-run foretold %d bytes, trim reclaimed %d: not within 5%%", *dry.Reclaimed, *real.Reclaimed)
	}
	t.Logf("dry run: %d bytes reclaimable; trim: %d bytes reclaimed", *dry.Reclaimed, *real.Reclaimed)
}

// allocated returns the bytes a file has allocated (st_blocks).
func allocated(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return uint64(st.Blocks) * 512
}
