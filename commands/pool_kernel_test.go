//go:build linux

package commands_test

// Kernel tests of the thin-pool commands: a pool's whole life on loop
// files, on block devices and adopted, bad input that must change nothing,
// and a kill in the middle of a snapshot. They run as root with
// device-mapper (in the QEMU guest of scripts/vmexec) and skip elsewhere:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run Pool ./commands

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// poolFixture is a pool root with a unique device-name word.
type poolFixture struct {
	t    *testing.T
	root string
	word string
}

// newPoolFixture returns a fresh root and name word; whatever the test
// leaves active is deactivated when it ends.
func newPoolFixture(t *testing.T) *poolFixture {
	t.Helper()
	dmtest.Require(t, "thin-pool", "thin")
	f := &poolFixture{t: t, root: t.TempDir(), word: dmtest.Name(t)}
	t.Cleanup(func() { run(t, f.args("pool", "deactivate", "--force")...) })
	return f
}

// args prefixes args with the fixture's --root and --prefix.
func (f *poolFixture) args(args ...string) []string {
	return append([]string{"--root", f.root, "--prefix", f.word}, args...)
}

// must runs dmctl on the fixture's pool and fails unless it exits 0 with
// nothing on standard error.
func (f *poolFixture) must(args ...string) string {
	f.t.Helper()
	return mustRun(f.t, f.args(args...)...)
}

// try runs dmctl on the fixture's pool.
func (f *poolFixture) try(args ...string) (stdout, stderr string, code int) {
	f.t.Helper()
	return run(f.t, f.args(args...)...)
}

// poolName returns the pool's device-mapper name from pool ls.
func (f *poolFixture) poolName() string {
	f.t.Helper()
	var list []struct {
		Name   string `json:"pool_name"`
		Prefix string `json:"prefix"`
		Active bool   `json:"active"`
	}
	decodeJSON(f.t, f.must("--output", "json", "pool", "ls"), &list)
	if len(list) != 1 {
		f.t.Fatalf("pool ls = %d pools, want 1", len(list))
	}
	return list[0].Name
}

// snapshotEntry is one device of snapshot ls --output json.
type snapshotEntry struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	ThinID      int      `json:"thin_id"`
	Origin      string   `json:"origin"`
	SizeBytes   uint64   `json:"size_bytes"`
	MappedBytes *uint64  `json:"mapped_bytes"`
	Active      bool     `json:"active"`
	Mountpoints []string `json:"mountpoints"`
}

// snapshots returns snapshot ls --output json.
func (f *poolFixture) snapshots() []snapshotEntry {
	f.t.Helper()
	var devs []snapshotEntry
	decodeJSON(f.t, f.must("--output", "json", "snapshot", "ls"), &devs)
	return devs
}

// thinIDs returns the thin ids snapshot ls reports, sorted.
func (f *poolFixture) thinIDs() []int {
	f.t.Helper()
	var ids []int
	for _, d := range f.snapshots() {
		ids = append(ids, d.ThinID)
	}
	sort.Ints(ids)
	return ids
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

// requireTool returns the path of a test oracle, skipping the test (or
// failing it when kernel tests are required) when it is missing.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if dmtest.Required() {
			t.Fatalf("find %s: %v", name, err)
		}
		t.Skipf("find %s: %v", name, err)
	}
	return p
}

// oracle runs a test tool and returns its standard output.
func oracle(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(requireTool(t, name), args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// metadataThinIDs returns the thin ids thin_ls finds in a metadata file
// or device, sorted.
func metadataThinIDs(t *testing.T, metadata string) []int {
	t.Helper()
	var ids []int
	for _, l := range strings.Fields(oracle(t, "thin_ls", "--no-headers", "-o", "DEV", metadata)) {
		var id int
		if _, err := fmt.Sscan(l, &id); err != nil {
			t.Fatalf("thin_ls %s: bad device id %q", metadata, l)
		}
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// dmNames returns the device-mapper names dmsetup ls lists.
func dmNames(t *testing.T) []string {
	t.Helper()
	out := dmtest.Dmsetup(t, "ls")
	if strings.HasPrefix(out, "No devices found") {
		return nil
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if fs := strings.Fields(l); len(fs) > 0 {
			names = append(names, fs[0])
		}
	}
	sort.Strings(names)
	return names
}

// writeData writes random bytes to a file under dir and returns their
// checksum.
func writeData(t *testing.T, dir string) [32]byte {
	t.Helper()
	buf := make([]byte, 1<<20)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), buf, 0o644); err != nil {
		t.Fatalf("write data: %v", err)
	}
	return sha256.Sum256(buf)
}

// checkData fails unless the file writeData wrote under dir has the sum.
func checkData(t *testing.T, dir string, want [32]byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data.bin"))
	if err != nil {
		t.Fatalf("read data: %v", err)
	}
	if got := sha256.Sum256(b); got != want {
		t.Errorf("sha256(%s/data.bin) = %x, want %x", dir, got, want)
	}
}

// TestPoolLoopLifecycle runs a loop pool through Docker's life: create,
// info, image and container snapshots, mount and write, listings, a
// simulated reboot, removal, a metadata check and destroy.
func TestPoolLoopLifecycle(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "2G", "--metadata-size", "64M", "--base-size", "256M", "--fs", "ext4")
	poolName := f.poolName()
	if !strings.HasPrefix(poolName, f.word+"-") || !strings.HasSuffix(poolName, "-pool") {
		t.Errorf("pool name = %q, want %s-MAJ:MIN-INO-pool", poolName, f.word)
	}

	out, errOut, code := f.try("info")
	if code != 0 {
		t.Fatalf("info = exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Storage Driver: devicemapper\n",
		" Pool Name: " + poolName + "\n",
		" Pool Blocksize: 65.54kB\n",
		" Base Device Size: 268.4MB\n",
		" Backing Filesystem: ext4\n",
		" Udev Sync Supported: false\n",
		" Data loop file: " + filepath.Join(f.root, "devicemapper/data") + "\n",
		" Metadata loop file: " + filepath.Join(f.root, "devicemapper/metadata") + "\n",
		" Data Space Total: 2.147GB\n",
		" Metadata Space Total: 67.11MB\n",
		" Thin Pool Minimum Free Space: 214.7MB\n",
		" Library Version: dmctl ",
		" Kernel Driver Version: 4.",
		" Thin Pool Target Version: 1.",
		" Pool Mode: rw\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(errOut, "WARNING: devicemapper: usage of loopback devices") {
		t.Errorf("info stderr = %q, want the loopback warning", errOut)
	}
	var js map[string]any
	decodeJSON(t, f.must("--output", "json", "info"), &js)
	if js["pool_name"] != poolName || js["udev_sync_supported"] != false {
		t.Errorf("info --output json = %v, want pool_name %q and udev_sync_supported false", js, poolName)
	}

	f.must("snapshot", "create", "image")
	f.must("snapshot", "create", "container", "--origin", "image")
	mnt := strings.TrimSpace(f.must("mount", "container"))
	if want := filepath.Join(f.root, "mnt", "container"); mnt != want {
		t.Errorf("mount container = %q, want %q", mnt, want)
	}
	sum := writeData(t, mnt)

	names := dmNames(t)
	prefix := strings.TrimSuffix(poolName, "-pool")
	for _, want := range []string{poolName, prefix + "-container"} {
		if !slices.Contains(names, want) {
			t.Errorf("dmsetup ls = %q, lacks %q", names, want)
		}
	}
	tree := mustRun(t, "ls", "--tree")
	status := mustRun(t, "status")
	for _, want := range []string{poolName, prefix + "-container"} {
		if !strings.Contains(tree, want) {
			t.Errorf("ls --tree lacks %q:\n%s", want, tree)
		}
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	// The mount point comes from the mount table, read once a command.
	if !strings.Contains(tree, mnt) {
		t.Errorf("ls --tree lacks the mount point %s:\n%s", mnt, tree)
	}
	var statusJS []struct {
		Name        string   `json:"name"`
		Mountpoints []string `json:"mountpoints"`
	}
	decodeJSON(t, mustRun(t, "--output", "json", "status", prefix+"-container"), &statusJS)
	if len(statusJS) != 1 || !slices.Contains(statusJS[0].Mountpoints, mnt) {
		t.Errorf("status --output json %s-container = %+v, want mountpoints with %s", prefix, statusJS, mnt)
	}

	devs := f.snapshots()
	byID := map[string]snapshotEntry{}
	for _, d := range devs {
		byID[d.ID] = d
	}
	if len(devs) != 3 || byID["image"].Origin != "" && byID["image"].Origin != "base" ||
		byID["container"].Origin != "image" || !byID["container"].Active ||
		!slices.Contains(byID["container"].Mountpoints, mnt) {
		t.Errorf("snapshot ls = %+v, want base, image (of base), container (of image, mounted on %s)", devs, mnt)
	}
	ls := f.must("snapshot", "ls")
	for _, want := range []string{"THIN_ID", "image", "container", mnt} {
		if !strings.Contains(ls, want) {
			t.Errorf("snapshot ls lacks %q:\n%s", want, ls)
		}
	}
	lsTree := f.must("snapshot", "ls", "--tree")
	bi, ii, ci := strings.Index(lsTree, "base"), strings.Index(lsTree, "image"), strings.Index(lsTree, "container")
	if bi < 0 || ii < bi || ci < ii || !strings.Contains(lsTree, "─container") {
		t.Errorf("snapshot ls --tree does not show base > image > container:\n%s", lsTree)
	}
	f.must("umount", "container")

	// Simulated reboot.
	f.must("pool", "deactivate")
	for _, n := range dmNames(t) {
		if strings.HasPrefix(n, prefix) {
			t.Errorf("after pool deactivate, dmsetup ls still has %q", n)
		}
	}
	f.must("pool", "activate")
	mnt = strings.TrimSpace(f.must("mount", "container"))
	checkData(t, mnt, sum)
	f.must("umount", "container")

	ext := f.must("pool", "extend", "--data-size", "3G")
	if !strings.Contains(ext, "Reloaded: true") {
		t.Errorf("pool extend --data-size 3G = %q, want the pool reloaded", ext)
	}
	if out, _, _ := f.try("info"); !strings.Contains(out, " Data Space Total: 3.221GB\n") {
		t.Errorf("info after pool extend lacks Data Space Total: 3.221GB:\n%s", out)
	}

	f.must("snapshot", "rm", "container")
	want := []int{byID["base"].ThinID, byID["image"].ThinID}
	sort.Ints(want)
	if got := f.thinIDs(); !slices.Equal(got, want) {
		t.Errorf("thin ids after snapshot rm container = %v, want %v", got, want)
	}

	f.must("pool", "deactivate")
	meta := filepath.Join(f.root, "devicemapper", "metadata")
	oracle(t, "thin_check", meta)
	if got := metadataThinIDs(t, meta); !slices.Equal(got, want) {
		t.Errorf("thin_ls %s = %v, want %v", meta, got, want)
	}

	f.must("pool", "destroy", "--yes")
	for _, p := range []string{"devicemapper/data", "devicemapper/metadata", "metadata/base"} {
		if _, err := os.Stat(filepath.Join(f.root, p)); !os.IsNotExist(err) {
			t.Errorf("after pool destroy, stat %s: %v, want not exist", p, err)
		}
	}
	if out := f.must("--output", "json", "pool", "ls"); strings.TrimSpace(out) != "[]" {
		t.Errorf("pool ls after destroy = %q, want []", out)
	}
}

// TestPoolDirect builds a pool on two block devices (the guest's spare
// disks), with the default filesystem.
func TestPoolDirect(t *testing.T) {
	f := newPoolFixture(t)
	for _, d := range []string{"/dev/vda", "/dev/vdb"} {
		if _, err := os.Stat(d); err != nil {
			if dmtest.Required() {
				t.Fatalf("spare disk: %v", err)
			}
			t.Skipf("spare disk: %v", err)
		}
	}
	f.must("pool", "create", "--data-dev", "/dev/vda", "--metadata-dev", "/dev/vdb", "--base-size", "512M", "--force")
	out, errOut, code := f.try("info")
	if code != 0 || errOut != "" {
		t.Fatalf("info = exit %d, stderr %q; want 0 and no warning", code, errOut)
	}
	for _, want := range []string{" Data file: /dev/vda\n", " Metadata file: /dev/vdb\n", " Pool Blocksize: 65.54kB\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "loop file") {
		t.Errorf("info of a direct pool names loop files:\n%s", out)
	}
	f.must("snapshot", "create", "c1")
	mnt := strings.TrimSpace(f.must("mount", "c1"))
	sum := writeData(t, mnt)
	f.must("umount", "c1")
	f.must("pool", "deactivate")
	f.must("pool", "activate")
	mnt = strings.TrimSpace(f.must("mount", "c1"))
	checkData(t, mnt, sum)
	f.must("umount", "c1")
	f.must("pool", "deactivate")
	oracle(t, "thin_check", "/dev/vdb")
	f.must("pool", "destroy", "--yes")
}

// TestPoolDirectRefusesUsedDevices refuses to build a direct pool over a
// data or metadata device that holds a filesystem, with one line naming
// it and nothing changed (the filesystem is still there); forced, it
// builds the pool.
func TestPoolDirectRefusesUsedDevices(t *testing.T) {
	data := spareDisk(t)
	meta := "/dev/vdb"
	f := newPoolFixture(t)
	create := []string{"pool", "create", "--data-dev", data, "--metadata-dev", meta, "--base-size", "64M", "--fs", "ext4"}
	for _, holder := range []string{data, meta} {
		wipeDisk(t, data)
		wipeDisk(t, meta)
		oracle(t, "mkfs.ext4", "-q", "-F", holder)
		f.refused([]int{1}, []string{holder, "an ext4 filesystem", "wipefs"}, create...)
		if out := oracle(t, "blkid", "-o", "value", "-s", "TYPE", holder); strings.TrimSpace(out) != "ext4" {
			t.Errorf("after the refused create blkid %s = %q, want ext4 still", holder, out)
		}
	}
	f.must(append(create, "--force")...)
	f.must("check")
	f.must("pool", "destroy", "--yes")
	wipeDisk(t, meta)
}

// TestPoolAdopt adopts a thin pool made with dmsetup (dm.thinpooldev):
// dmctl makes its devices in it, and destroy leaves it loaded.
func TestPoolAdopt(t *testing.T) {
	f := newPoolFixture(t)
	meta := dmtest.LoopFile(t, 64<<20)
	data := dmtest.LoopFile(t, 1<<30)
	name := f.word + "-adopted"
	dmtest.Dmsetup(t, "create", name, "--table",
		fmt.Sprintf("0 %d thin-pool %s %s 128 32768 1 skip_block_zeroing", (1<<30)/512, meta.Path, data.Path))
	f.must("pool", "create", "--thinpooldev", name, "--base-size", "256M", "--fs", "ext4")
	if got := f.poolName(); got != name {
		t.Errorf("pool name = %q, want %q", got, name)
	}
	out, errOut, code := f.try("info")
	if code != 0 || !strings.Contains(out, " Pool Name: "+name+"\n") {
		t.Errorf("info = exit %d, stderr %q, output:\n%s\nwant Pool Name: %s", code, errOut, out, name)
	}
	f.must("snapshot", "create", "c1")
	mnt := strings.TrimSpace(f.must("mount", "c1"))
	sum := writeData(t, mnt)
	f.must("umount", "c1")
	mnt = strings.TrimSpace(f.must("mount", "c1"))
	checkData(t, mnt, sum)
	f.must("umount", "c1")
	f.must("pool", "destroy", "--yes")
	if !slices.Contains(dmNames(t), name) {
		t.Errorf("pool destroy removed the adopted pool %s", name)
	}
	status := dmtest.Dmsetup(t, "status", name)
	if !strings.Contains(status, " thin-pool ") {
		t.Errorf("dmsetup status %s = %q, want a thin pool", name, status)
	}
}

// rootListing describes every file under root: path, type and size, and
// the content of small files.
func rootListing(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d", p, fi.Mode(), fi.Size())
		if fi.Mode().IsRegular() && fi.Size() < 64<<10 {
			c, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(c))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", root, err)
	}
	return b.String()
}

// TestPoolBadInput checks that bad input is refused with one error line
// and changes neither the kernel's devices nor the pool's state.
func TestPoolBadInput(t *testing.T) {
	f := newPoolFixture(t)
	fresh := t.TempDir()
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "img")
	tests := []struct {
		name     string
		root     string
		args     []string
		wantCode int // 0: any failure
	}{
		{"bad block size", fresh, []string{"pool", "create", "--block-size", "100K"}, 2},
		{"bad block size here", f.root, []string{"pool", "create", "--block-size", "3K"}, 2},
		{"unknown storage-opt", fresh, []string{"pool", "create", "--storage-opt", "dm.nosuch=1"}, 2},
		{"bad size", fresh, []string{"pool", "create", "--data-size", "lots"}, 2},
		{"existing pool", f.root, []string{"pool", "create", "--data-size", "1G", "--metadata-size", "32M"}, 0},
		{"missing origin", f.root, []string{"snapshot", "create", "x", "--origin", "nosuch"}, 0},
		{"duplicate id", f.root, []string{"snapshot", "create", "img"}, 0},
		{"bad id", f.root, []string{"snapshot", "create", "a/b"}, 2},
		{"destroy without --yes", f.root, []string{"pool", "destroy"}, 2},
		{"remove base", f.root, []string{"snapshot", "rm", "base"}, 0},
		{"remove missing", f.root, []string{"snapshot", "rm", "nosuch"}, 0},
	}
	for _, tt := range tests {
		dmBefore := dmNames(t)
		rootBefore, freshBefore := rootListing(t, f.root), rootListing(t, fresh)
		args := append([]string{"--root", tt.root, "--prefix", f.word}, tt.args...)
		_, errOut, code := run(t, args...)
		if code == 0 || tt.wantCode != 0 && code != tt.wantCode {
			t.Errorf("%s: dmctl %s = exit %d, want %d (stderr %q)", tt.name, strings.Join(tt.args, " "), code, tt.wantCode, errOut)
		}
		checkErrorLine(t, tt.name, errOut)
		if got := dmNames(t); !slices.Equal(got, dmBefore) {
			t.Errorf("%s: dmsetup ls = %q, was %q", tt.name, got, dmBefore)
		}
		if got := rootListing(t, f.root); got != rootBefore {
			t.Errorf("%s: pool root changed:\n%s", tt.name, lineDiff(got, rootBefore))
		}
		if got := rootListing(t, fresh); got != freshBefore {
			t.Errorf("%s: fresh root changed:\n%s", tt.name, lineDiff(got, freshBefore))
		}
	}
}

// TestPoolKillSnapshot kills dmctl with SIGKILL at various points of
// snapshot create and rm; the next command must recover, and thin_ls must
// find exactly the thin ids dmctl records.
func TestPoolKillSnapshot(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	delays := []time.Duration{0, 40, 80, 90, 100, 105, 110, 115, 120, 125, 130, 140, 150, 160, 180, 200, 300}
	for i, d := range delays {
		args := []string{"snapshot", "create", fmt.Sprintf("k%d", i)}
		if i%3 == 2 {
			victim := fmt.Sprintf("r%d", i)
			f.must("snapshot", "create", victim)
			args = []string{"snapshot", "rm", victim}
		}
		cmd := exec.Command(os.Args[0], f.args(args...)...)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Logf("kill %v after %v: %v", args, d*time.Millisecond, err)
		}
		err := cmd.Wait()
		txn := filepath.Join(f.root, "metadata", "transaction-metadata")
		_, serr := os.Stat(txn)
		t.Logf("%v killed after %v: %v %s (transaction left open: %v)", args, d*time.Millisecond, err,
			strings.TrimSpace(errOut.String()), serr == nil)
		// The next mutating command finishes or rolls back what was left.
		f.must("pool", "activate")
		if _, err := os.Stat(txn); !os.IsNotExist(err) {
			t.Errorf("after %v killed and pool activate: stat %s: %v, want no open transaction", args, txn, err)
		}
	}
	want := f.thinIDs()
	f.must("pool", "deactivate")
	meta := filepath.Join(f.root, "devicemapper", "metadata")
	oracle(t, "thin_check", meta)
	if got := metadataThinIDs(t, meta); !slices.Equal(got, want) {
		t.Errorf("thin_ls %s = %v, dmctl records %v", meta, got, want)
	}
	f.must("pool", "activate")
	f.must("pool", "destroy", "--yes")
}

// TestPoolExtendMetadataPastLimit grows a loop pool's metadata file past
// the most metadata the kernel uses (about 15.9 GiB): the kernel grows
// the pool to its limit, and extend says so with exit 0, not that the
// pool did not grow.
func TestPoolExtendMetadataPastLimit(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "16M", "--base-size", "64M", "--fs", "ext4")
	f.must("pool", "extend", "--metadata-size", "20G")
	var report struct {
		MetadataTotal uint64 `json:"metadata_total_bytes"`
	}
	decodeJSON(t, f.must("--output", "json", "info"), &report)
	if limit := uint64(255*((1<<14)-64)) * 4096; report.MetadataTotal < limit {
		t.Errorf("info after extend to 20G: metadata_total_bytes %d, want the kernel's limit %d", report.MetadataTotal, limit)
	}
	f.must("check")
}
