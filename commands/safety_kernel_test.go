//go:build linux

package commands_test

// Kernel tests of the paths by which a pool's state can be ambiguous or
// damaged: two device files claiming one thin id, and metadata that is
// zeroed, missing or older than the device files. Each must be refused
// before anything changes, with one line that says what to do. Run them
// with make vmtest, or by hand:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestSafety ./commands

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// refused runs dmctl with args and fails unless it exits with a code in
// codes, prints one error line containing every string of want, and leaves
// the root and the kernel's device list as they were.
func (f *poolFixture) refused(codes []int, want []string, args ...string) {
	f.t.Helper()
	dmBefore := dmNames(f.t)
	tablesBefore := dmTables(f.t)
	rootBefore := rootListing(f.t, f.root)
	_, errOut, code := f.try(args...)
	if !slices.Contains(codes, code) {
		f.t.Errorf("dmctl %s = exit %d, want one of %v (stderr %q)", strings.Join(args, " "), code, codes, errOut)
	}
	checkErrorLine(f.t, strings.Join(args, " "), errOut)
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			f.t.Errorf("dmctl %s: stderr %q lacks %q", strings.Join(args, " "), errOut, w)
		}
	}
	if got := dmNames(f.t); !slices.Equal(got, dmBefore) {
		f.t.Errorf("dmctl %s: dmsetup ls = %q, was %q", strings.Join(args, " "), got, dmBefore)
	}
	if got := dmTables(f.t); got != tablesBefore {
		f.t.Errorf("dmctl %s: dmsetup table changed:\n%s", strings.Join(args, " "), lineDiff(got, tablesBefore))
	}
	if got := rootListing(f.t, f.root); got != rootBefore {
		f.t.Errorf("dmctl %s: pool root changed:\n%s", strings.Join(args, " "), lineDiff(got, rootBefore))
	}
}

// dmTables returns dmsetup table of every device (empty when none).
func dmTables(t *testing.T) string {
	t.Helper()
	if len(dmNames(t)) == 0 {
		return ""
	}
	return oracle(t, "dmsetup", "table")
}

// TestSafetyDuplicateThinID copies a device file under another id, as a
// bad restore or a hand edit leaves it: removing, activating or mounting
// the copy (or the original) is refused naming both files, check reports
// it, check --repair leaves it, and the original's data survives.
func TestSafetyDuplicateThinID(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "a1")
	sum := writeData(t, strings.TrimSpace(f.must("mount", "a1")))
	f.must("umount", "a1")
	a1, a2 := filepath.Join(f.root, "metadata", "a1"), filepath.Join(f.root, "metadata", "a2")
	b, err := os.ReadFile(a1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a2, b, 0o600); err != nil {
		t.Fatal(err)
	}
	both := []string{a1, a2}
	f.refused([]int{1}, both, "snapshot", "rm", "a2")
	f.refused([]int{1}, both, "snapshot", "rm", "a1")
	f.refused([]int{1}, both, "activate", "a2")
	f.refused([]int{1}, both, "mount", "a2")
	f.refused([]int{1}, both, "snapshot", "create", "c", "--origin", "a1")

	out, _, code := f.try("check")
	if code == 0 || !strings.Contains(out, "duplicate-thin-id") || !strings.Contains(out, a2) {
		t.Errorf("check = exit %d:\n%s\nwant the duplicate thin id reported", code, out)
	}
	out, _, _ = f.try("check", "--repair", "--yes")
	for _, p := range both {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("check --repair --yes removed %s: %v (output %s)", p, err, out)
		}
	}
	if err := os.Remove(a2); err != nil {
		t.Fatal(err)
	}
	f.must("check")
	checkData(t, strings.TrimSpace(f.must("mount", "a1")), sum)
	f.must("umount", "a1")
}

// TestSafetyZeroedMetadata zeroes, removes and rolls back the metadata
// file of a pool that has devices, while the pool is down: pool activate
// refuses each time, naming the file, and loads nothing (the kernel would
// format fresh, empty metadata over a zeroed superblock); check --repair
// removes no device file; with the metadata restored, the data is intact.
func TestSafetyZeroedMetadata(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "c1")
	sum := writeData(t, strings.TrimSpace(f.must("mount", "c1")))
	f.must("umount", "c1")
	f.must("pool", "deactivate")
	meta := filepath.Join(f.root, "devicemapper", "metadata")
	saved := filepath.Join(t.TempDir(), "metadata.saved")
	copyFile(t, meta, saved)

	// Zeroed, as a truncated restore or a wiped disk leaves it.
	fi, err := os.Stat(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(meta, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(meta, fi.Size()); err != nil {
		t.Fatal(err)
	}
	f.refused([]int{1}, []string{meta, "thin_repair"}, "pool", "activate")
	f.refused([]int{1}, nil, "snapshot", "create", "c2")
	out, _, code := f.try("check", "--repair")
	if code == 0 {
		t.Errorf("check --repair over zeroed metadata = exit 0:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(f.root, "metadata", "c1")); err != nil {
		t.Errorf("check --repair removed the device file of c1: %v", err)
	}

	// Missing.
	if err := os.Remove(meta); err != nil {
		t.Fatal(err)
	}
	f.refused([]int{1}, []string{meta}, "pool", "activate")

	// Restored: everything is back.
	copyFile(t, saved, meta)
	f.must("pool", "activate")
	checkData(t, strings.TrimSpace(f.must("mount", "c1")), sum)
	f.must("umount", "c1")

	// Older than the device files: a copy taken before c2 was made.
	f.must("snapshot", "create", "c2")
	f.must("pool", "deactivate")
	copyFile(t, saved, meta)
	f.refused([]int{1}, []string{meta, "older"}, "pool", "activate")
	oracle(t, "thin_check", meta)
}

// TestSafetyCopiedRoot copies a root as cp -a or a restored backup would:
// the copy records the same pool name as the original, and while the
// original's pool runs every command on the copy is refused before it
// changes anything (snapshot rm there would delete a thin device the
// original still has). Activated first, the pool is the copy's own, and
// the original is refused in turn; nothing is lost either way.
func TestSafetyCopiedRoot(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "64M", "--fs", "ext4")
	f.must("snapshot", "create", "x")
	sum := writeData(t, strings.TrimSpace(f.must("mount", "x")))
	f.must("umount", "x")
	g := &poolFixture{t: t, root: filepath.Join(t.TempDir(), "copy"), word: f.word}
	t.Cleanup(func() { g.try("pool", "deactivate", "--force") })
	copyTree(t, f.root, g.root)

	data := filepath.Join(f.root, "devicemapper", "data")
	for _, args := range [][]string{
		{"snapshot", "rm", "x"}, {"snapshot", "create", "y"}, {"activate", "x"}, {"snapshot", "ls"}, {"info"},
		{"pool", "extend", "--data-size", "2G"}, {"pool", "deactivate"}, {"pool", "destroy", "--yes", "--force"},
	} {
		g.refused([]int{1}, []string{data, "copy"}, args...)
	}
	g.refused([]int{3}, []string{data, "copy"}, "check", "--repair", "--yes") // check's "could not run"
	f.must("check")
	checkData(t, strings.TrimSpace(f.must("mount", "x")), sum)
	f.must("umount", "x")

	// The copy's pool first: then it is the original that is refused.
	f.must("pool", "deactivate")
	g.must("pool", "activate")
	g.must("check")
	f.refused([]int{1}, []string{filepath.Join(g.root, "devicemapper", "data")}, "snapshot", "rm", "x")
	g.must("pool", "deactivate")
	f.must("pool", "activate")
	f.must("check")
	checkData(t, strings.TrimSpace(f.must("mount", "x")), sum)
	f.must("umount", "x")

	// The copy restored over the original while its pool runs: the pool
	// still runs on the replaced files, and the root is refused until
	// its devices are removed as the refusal says.
	pool := f.poolName()
	for _, name := range []string{"data", "metadata"} {
		to := filepath.Join(f.root, "devicemapper", name)
		if err := copySparse(filepath.Join(g.root, "devicemapper", name), to+".restored"); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(to+".restored", to); err != nil {
			t.Fatal(err)
		}
	}
	f.refused([]int{1}, []string{"was replaced while the pool ran", "dmctl remove"}, "snapshot", "rm", "x")
	f.refused([]int{1}, []string{"was replaced while the pool ran"}, "pool", "deactivate", "--force")
	mustRun(t, "remove", pool)
	f.must("pool", "activate")
	f.must("check")
	checkData(t, strings.TrimSpace(f.must("mount", "x")), sum)
	f.must("umount", "x")
}

// copyTree copies the directory src to dst (directories 0700, files 0600),
// keeping the holes of sparse files.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(to, 0o700)
		case d.Type().IsRegular():
			return copySparse(p, to)
		}
		return fmt.Errorf("%s: not a file or directory", p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// copySparse copies the data extents of src (found with SEEK_DATA and
// SEEK_HOLE) into a new file dst of the same size.
func copySparse(src, dst string) error {
	const seekData, seekHole = 3, 4
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := out.Truncate(fi.Size()); err != nil {
		return err
	}
	for off := int64(0); off < fi.Size(); {
		start, err := in.Seek(off, seekData)
		if err != nil {
			break // ENXIO: no data past off
		}
		end, err := in.Seek(start, seekHole)
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.NewOffsetWriter(out, start), io.NewSectionReader(in, start, end-start)); err != nil {
			return err
		}
		off = end
	}
	return out.Close()
}

// copyFile copies src to dst (mode 0600), keeping holes out of the way by
// copying block by block.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSafetyOwnership checks that check --repair deletes no thin id dmctl
// cannot prove it made: in a pool of its own an unknown thin id is kept
// (and deleted only when named with --delete-thin); in an adopted pool,
// shared with the tool that made it, another tool's thin device is a
// notice, kept, and still activates afterwards.
func TestSafetyOwnership(t *testing.T) {
	t.Run("own pool", func(t *testing.T) {
		f := newPoolFixture(t)
		f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
		pool := f.poolName()
		dmtest.Dmsetup(t, "message", pool, "0", "create_thin 100")
		out, _, code := f.try("check", "--repair", "--yes")
		if code == 0 || !strings.Contains(out, "thin id 100") {
			t.Errorf("check --repair --yes with an unknown thin id = exit %d:\n%s\nwant it reported", code, out)
		}
		if ids := poolThinIDs(t, pool); !slices.Contains(ids, 100) {
			t.Fatalf("check --repair --yes deleted thin id 100 (pool has %v)", ids)
		}
		f.refused([]int{1, 2}, []string{"not an orphan"}, "check", "--repair", "--delete-thin", "1")
		f.must("check", "--repair", "--delete-thin", "100")
		if ids := poolThinIDs(t, pool); slices.Contains(ids, 100) {
			t.Errorf("check --repair --delete-thin 100 left it (pool has %v)", ids)
		}
		f.must("check")
	})
	t.Run("adopted pool", func(t *testing.T) {
		f := newPoolFixture(t)
		meta := dmtest.LoopFile(t, 64<<20).Path
		data := dmtest.LoopFile(t, 1<<30).Path
		name := f.word + "-adopted"
		dmtest.Dmsetup(t, "create", name, "--table",
			"0 2097152 thin-pool "+meta+" "+data+" 128 32768 1 skip_block_zeroing")
		f.must("pool", "create", "--thinpooldev", name, "--base-size", "128M", "--fs", "ext4")
		// Another tool's thin device in the same pool.
		dmtest.Dmsetup(t, "message", name, "0", "create_thin 100")
		out, _, code := f.try("check", "--repair", "--yes")
		if code != 0 || !strings.Contains(out, "foreign-thin-id") {
			t.Errorf("check --repair --yes on a shared pool = exit %d:\n%s\nwant exit 0 and a notice", code, out)
		}
		if ids := poolThinIDs(t, name); !slices.Contains(ids, 100) {
			t.Fatalf("check --repair --yes deleted another tool's thin id 100 (pool has %v)", ids)
		}
		other := f.word + "-other"
		dmtest.Dmsetup(t, "create", other, "--table", "0 2048 thin "+dmDevno(t, name)+" 100")
		dmtest.Dmsetup(t, "remove", other)
		f.must("pool", "destroy", "--yes")
		dmtest.Dmsetup(t, "remove", name)
	})
}

// dmDevno returns a device's "MAJ:MIN", from dmsetup.
func dmDevno(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(dmtest.Dmsetup(t, "info", "-c", "--noheadings", "-o", "major,minor", "--separator", ":", name))
}

// blockNode returns /dev/<name> of the block device MAJ:MIN.
func blockNode(t *testing.T, devno string) string {
	t.Helper()
	b, err := os.ReadFile("/sys/dev/block/" + devno + "/uevent")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(l, "DEVNAME="); ok {
			return "/dev/" + name
		}
	}
	t.Fatalf("no DEVNAME for %s", devno)
	return ""
}

// poolThinIDs returns the thin ids of an active pool, as thin_ls finds
// them in a metadata snapshot the test reserves itself.
func poolThinIDs(t *testing.T, pool string) []int {
	t.Helper()
	table := strings.Fields(dmtest.Dmsetup(t, "table", pool))
	if len(table) < 5 || table[2] != "thin-pool" {
		t.Fatalf("dmsetup table %s = %q, not a thin pool", pool, table)
	}
	meta := blockNode(t, table[3])
	dmtest.Dmsetup(t, "message", pool, "0", "reserve_metadata_snap")
	defer dmtest.Dmsetup(t, "message", pool, "0", "release_metadata_snap")
	var ids []int
	for _, w := range strings.Fields(oracle(t, "thin_ls", "-m", "--no-headers", "-o", "DEV", meta)) {
		id, err := strconv.Atoi(w)
		if err != nil {
			t.Fatalf("thin_ls: bad id %q", w)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
