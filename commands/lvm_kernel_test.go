//go:build linux

package commands_test

// Kernel tests of LVM thin pools: a pool made with LVM2's own tools
// exactly as Docker's documentation tells admins to make one, adopted
// with dm.thinpooldev under every spelling an admin pastes, and then used
// with every command. They need LVM2 in the guest (scripts/vm-initramfs
// puts it there) and the spare disk /dev/vda:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run LVM ./commands

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// lvmDisk is the guest's spare disk the LVM tests put their volume group
// on.
const lvmDisk = "/dev/vda"

// lvmRun runs an LVM tool (the test's oracle and the admin's hands) and
// returns its standard output, failing the test when it fails.
func lvmRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := lvmTry(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// lvmTry runs an LVM tool and returns its output and failure.
func lvmTry(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(requireTool(t, name), args...)
	cmd.Env = append(os.Environ(), "LVM_SUPPRESS_FD_WARNINGS=1")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return string(out), nil
}

// guestMarker exists only in dmctl's QEMU guest (scripts/vm-initramfs).
const guestMarker = "/etc/dmctl-vm-release"

// spareDisk returns the guest's spare disk, wiped, and wipes it again
// (and removes any volume group left on it) when the test ends. It runs
// only in dmctl's QEMU guest, whose disks are throwaway: anywhere else
// /dev/vda may be a machine's own disk.
func spareDisk(t *testing.T) string {
	t.Helper()
	dmtest.Require(t, "thin-pool", "thin")
	if _, err := os.Stat(guestMarker); err != nil {
		if dmtest.Required() {
			t.Fatalf("spare disk: not in dmctl's QEMU guest: %v", err)
		}
		t.Skipf("spare disk tests run only in dmctl's QEMU guest: %v", err)
	}
	if _, err := os.Stat(lvmDisk); err != nil {
		if dmtest.Required() {
			t.Fatalf("spare disk: %v", err)
		}
		t.Skipf("spare disk: %v", err)
	}
	wipeDisk(t, lvmDisk)
	t.Cleanup(func() {
		lvmTry(t, "vgremove", "-ff", "-y", "docker")
		lvmTry(t, "pvremove", "-ff", "-y", lvmDisk)
		os.Remove("/etc/lvm/profile/docker-thinpool.profile")
		wipeDisk(t, lvmDisk)
	})
	return lvmDisk
}

// wipeDisk zeroes the first and last MiB of a disk: every signature LVM,
// partition tables and filesystems leave.
func wipeDisk(t *testing.T, disk string) {
	t.Helper()
	f, err := os.OpenFile(disk, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("wipe %s: %v", disk, err)
	}
	defer f.Close()
	size, err := f.Seek(0, 2)
	if err != nil {
		t.Fatalf("wipe %s: %v", disk, err)
	}
	zero := make([]byte, 1<<20)
	for _, off := range []int64{0, size - int64(len(zero))} {
		if _, err := f.WriteAt(zero, off); err != nil {
			t.Fatalf("wipe %s: %v", disk, err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("wipe %s: %v", disk, err)
	}
}

// makeLVMThinPool makes the thin pool docker/thinpool on disk exactly as
// Docker's documentation ("Configure direct-lvm mode manually") tells an
// admin to, autoextend profile included, and returns its device-mapper
// name, docker-thinpool.
func makeLVMThinPool(t *testing.T, disk string) string {
	t.Helper()
	lvmRun(t, "pvcreate", disk)
	lvmRun(t, "vgcreate", "docker", disk)
	lvmRun(t, "lvcreate", "--wipesignatures", "y", "-n", "thinpool", "docker", "-l", "95%VG")
	lvmRun(t, "lvcreate", "--wipesignatures", "y", "-n", "thinpoolmeta", "docker", "-l", "1%VG")
	lvmRun(t, "lvconvert", "-y", "--zero", "n", "-c", "512K", "--thinpool", "docker/thinpool", "--poolmetadata", "docker/thinpoolmeta")
	profile := "activation {\n  thin_pool_autoextend_threshold=80\n  thin_pool_autoextend_percent=20\n}\n"
	if err := os.WriteFile("/etc/lvm/profile/docker-thinpool.profile", []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	lvmRun(t, "lvchange", "--metadataprofile", "docker-thinpool", "docker/thinpool")
	return "docker-thinpool"
}

// poolTableStatus returns the table and status lines dmsetup prints for a
// device.
func poolTableStatus(t *testing.T, name string) (table, status string) {
	t.Helper()
	return strings.TrimSpace(dmtest.Dmsetup(t, "table", name)), strings.TrimSpace(dmtest.Dmsetup(t, "status", name))
}

// poolStatusFields returns the thin-pool status fields after the target
// type: transaction id, meta used/total, data used/total, ...
func poolStatusFields(t *testing.T, name string) []string {
	t.Helper()
	_, st := poolTableStatus(t, name)
	f := strings.Fields(st)
	if len(f) < 8 || f[2] != "thin-pool" {
		t.Fatalf("dmsetup status %s = %q, want a thin pool", name, st)
	}
	return f[3:]
}

// lvSizes returns the data and metadata sizes of an LVM thin pool volume,
// as lvs reports them.
func lvSizes(t *testing.T, vol string) (data, meta uint64) {
	t.Helper()
	out := lvmRun(t, "lvs", "--noheadings", "--nosuffix", "--units", "b", "--separator", ",", "-o", "lv_size,lv_metadata_size", vol)
	f := strings.Split(strings.TrimSpace(out), ",")
	if len(f) != 2 {
		t.Fatalf("lvs %s = %q", vol, out)
	}
	var err1, err2 error
	data, err1 = strconv.ParseUint(f[0], 10, 64)
	meta, err2 = strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("lvs %s = %q", vol, out)
	}
	return data, meta
}

// rootEntries returns the names of what a directory holds, recursively,
// relative to it.
func rootEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// discardedSectors returns the sectors discarded on a disk so far
// (/sys/block/<disk>/stat, field 14).
func discardedSectors(t *testing.T, disk string) uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/block", filepath.Base(disk), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 14 {
		t.Fatalf("/sys/block/%s/stat = %q: no discard fields", filepath.Base(disk), b)
	}
	n, err := strconv.ParseUint(f[13], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLVMThinPoolAdoptSpellings adopts an LVM thin pool (low water mark 0,
// 512 KiB blocks) under each spelling of dm.thinpooldev an admin pastes,
// with the flag and with --storage-opt; each time a later command works,
// and pool destroy gives the pool back adoptable.
func TestLVMThinPoolAdoptSpellings(t *testing.T) {
	disk := spareDisk(t)
	name := makeLVMThinPool(t, disk)
	f := newPoolFixture(t)
	table, _ := poolTableStatus(t, name)
	if fs := strings.Fields(table); len(fs) < 7 || fs[5] != "1024" || fs[6] != "0" {
		t.Fatalf("LVM's pool table = %q, want 512K blocks (1024 sectors) and low water mark 0", table)
	}
	for _, spell := range []string{name, "/dev/mapper/" + name, "/dev/docker/thinpool"} {
		for _, how := range [][]string{{"--thinpooldev", spell}, {"--storage-opt", "dm.thinpooldev=" + spell}} {
			args := append([]string{"pool", "create", "--base-size", "128M", "--fs", "ext4"}, how...)
			f.must(args...)
			if got := f.poolName(); got != name {
				t.Errorf("%v: pool name = %q, want %q", how, got, name)
			}
			f.must("snapshot", "create", "c1")
			if ids := f.thinIDs(); len(ids) != 2 {
				t.Errorf("%v: snapshot ls thin ids = %v, want the base and c1", how, ids)
			}
			f.must("pool", "destroy", "--yes")
			if st := poolStatusFields(t, name); st[0] != "0" || !strings.HasPrefix(st[2], "0/") {
				t.Errorf("%v: after pool destroy the pool's status is %v, want transaction id 0 and no used data", how, st)
			}
			if left := rootEntries(t, filepath.Join(f.root, "metadata")); slices.ContainsFunc(left, func(s string) bool { return !strings.HasPrefix(s, ".") }) {
				t.Errorf("%v: after pool destroy the root's metadata holds %v", how, left)
			}
		}
	}
	if _, err := lvmTry(t, "lvs", "docker/thinpool"); err != nil {
		t.Errorf("lvs docker/thinpool after the adoptions: %v", err)
	}
}

// TestLVMThinPoolLifecycle adopts an LVM thin pool the way Docker's
// documentation spells it (dm.thinpooldev=/dev/mapper/docker-thinpool) and
// uses every command on it: info as docker info showed such a pool,
// snapshots, mount, status, ls --tree, check, trim (discards reach the
// disk under the data volume), a reboot through LVM's own activation, and
// destroy, which leaves LVM's volumes as they were.
func TestLVMThinPoolLifecycle(t *testing.T) {
	disk := spareDisk(t)
	name := makeLVMThinPool(t, disk)
	f := newPoolFixture(t)
	f.must("pool", "create", "--storage-opt", "dm.thinpooldev=/dev/mapper/"+name,
		"--storage-opt", "dm.basesize=256M", "--storage-opt", "dm.fs=ext4")

	out, errOut, code := f.try("info")
	if code != 0 || errOut != "" {
		t.Fatalf("info = exit %d, stderr %q; want 0 and no warning", code, errOut)
	}
	for _, want := range []string{
		" Pool Name: docker-thinpool\n",
		" Pool Blocksize: 524.3kB\n",
		"\n  Data file: \n",
		"\n  Metadata file: \n",
		" Backing Filesystem: ext4\n",
		" Pool Mode: rw\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "loop file") {
		t.Errorf("info of an LVM pool names loop files:\n%s", out)
	}

	f.must("snapshot", "create", "image")
	f.must("snapshot", "create", "ctr", "--origin", "image")
	f.must("activate", "image")
	mnt := strings.TrimSpace(f.must("mount", "ctr"))
	writeData(t, mnt)
	if ids := f.thinIDs(); len(ids) != 3 {
		t.Errorf("snapshot ls thin ids = %v, want base, image and ctr", ids)
	}
	prefix := strings.TrimSuffix(f.snapshots()[0].Name, "-"+f.snapshots()[0].ID)
	status := mustRun(t, "status")
	tree := mustRun(t, "ls", "--tree")
	for _, want := range []string{name, prefix + "-ctr"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
		if !strings.Contains(tree, want) {
			t.Errorf("ls --tree lacks %q:\n%s", want, tree)
		}
	}
	if !strings.Contains(tree, name+"_tdata") {
		t.Errorf("ls --tree does not show the pool's data volume:\n%s", tree)
	}
	if out, errOut, code := f.try("check"); code != 0 {
		t.Errorf("check = exit %d, stderr %q:\n%s", code, errOut, out)
	}
	if err := os.Remove(filepath.Join(mnt, "data.bin")); err != nil {
		t.Fatal(err)
	}
	before := discardedSectors(t, disk)
	if out, errOut, code := f.try("trim"); code != 0 {
		t.Fatalf("trim = exit %d, stderr %q:\n%s", code, errOut, out)
	}
	if after := discardedSectors(t, disk); after <= before {
		t.Errorf("trim discarded nothing on %s (discarded sectors %d, then %d)", disk, before, after)
	}
	sum := writeData(t, mnt)
	f.must("umount", "ctr")

	// pool deactivate takes dmctl's devices down and leaves LVM's pool up.
	f.must("pool", "deactivate")
	names := dmNames(t)
	if !slices.Contains(names, name) {
		t.Errorf("pool deactivate removed LVM's pool: dmsetup ls = %q", names)
	}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			t.Errorf("after pool deactivate, dmsetup ls still has %q", n)
		}
	}

	// A reboot: LVM takes its pool down and up again.
	lvmRun(t, "vgchange", "-an", "docker")
	_, errOut, code = f.try("pool", "activate")
	if code == 0 || !strings.Contains(errOut, "vgchange -ay docker") {
		t.Errorf("pool activate with LVM's pool down = exit %d, stderr %q; want a failure naming vgchange -ay docker", code, errOut)
	}
	checkErrorLine(t, "pool activate (pool down)", errOut)
	lvmRun(t, "vgchange", "-ay", "docker")
	f.must("pool", "activate")
	mnt = strings.TrimSpace(f.must("mount", "ctr"))
	checkData(t, mnt, sum)

	// pool extend grows LVM's volumes through LVM, online.
	data, meta := lvSizes(t, "docker/thinpool")
	f.must("pool", "extend", "--data-size", fmt.Sprintf("%db", data+64<<20), "--metadata-size", fmt.Sprintf("%db", meta+8<<20))
	if d, m := lvSizes(t, "docker/thinpool"); d != data+64<<20 || m != meta+8<<20 {
		t.Errorf("after pool extend, LVM's volumes are %d and %d bytes, want %d and %d", d, m, data+64<<20, meta+8<<20)
	}
	if table, _ := poolTableStatus(t, name); !strings.HasPrefix(table, fmt.Sprintf("0 %d thin-pool", (data+64<<20)/512)) {
		t.Errorf("after pool extend, the pool's table is %q, want %d sectors", table, (data+64<<20)/512)
	}
	checkData(t, mnt, sum)
	f.must("umount", "ctr")

	f.must("snapshot", "rm", "ctr")
	f.must("pool", "destroy", "--yes")
	if !slices.Contains(dmNames(t), name) {
		t.Errorf("pool destroy removed LVM's pool")
	}
	if st := poolStatusFields(t, name); st[0] != "0" || !strings.HasPrefix(st[2], "0/") {
		t.Errorf("after pool destroy the pool's status is %v, want transaction id 0 and no used data", st)
	}
	lvs := lvmRun(t, "lvs", "--noheadings", "-o", "lv_name,segtype", "docker/thinpool")
	if fs := strings.Fields(lvs); len(fs) != 2 || fs[0] != "thinpool" || fs[1] != "thin-pool" {
		t.Errorf("lvs docker/thinpool after pool destroy = %q, want the thin pool", lvs)
	}
	// LVM still manages its pool: it grows it.
	lvmRun(t, "lvextend", "-L", "+16M", "docker/thinpool")
}

// TestLVMThinPoolAdoptFails makes an adoption fail after dmctl made its
// base device in the pool (mkfs refuses its arguments): the pool must be
// left as it was found (no thin id, transaction id 0) and the root empty,
// so that the adoption can simply be run again.
func TestLVMThinPoolAdoptFails(t *testing.T) {
	disk := spareDisk(t)
	name := makeLVMThinPool(t, disk)
	f := newPoolFixture(t)
	_, errOut, code := f.try("pool", "create", "--thinpooldev", name, "--base-size", "128M", "--fs", "ext4",
		"--mkfs-arg=--no-such-mkfs-option")
	if code == 0 {
		t.Fatalf("pool create with a bad mkfs argument = exit 0")
	}
	checkErrorLine(t, "pool create (bad mkfs argument)", errOut)
	if st := poolStatusFields(t, name); st[0] != "0" || !strings.HasPrefix(st[2], "0/") {
		t.Errorf("after a failed adoption the pool's status is %v, want transaction id 0 and no used data", st)
	}
	if left := rootEntries(t, f.root); len(left) != 0 {
		t.Errorf("after a failed adoption the root holds %v, want nothing", left)
	}
	for _, n := range dmNames(t) {
		if strings.HasPrefix(n, f.word) {
			t.Errorf("after a failed adoption, dmsetup ls has %q", n)
		}
	}
	f.must("pool", "create", "--thinpooldev", name, "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "c1")
	f.must("pool", "destroy", "--yes")
}

// TestPoolAdoptAnyTable adopts pools whose tables dmctl would never load
// itself, made with dmsetup: LVM's 512 KiB blocks and low water mark 0
// with no discard passdown and error_if_no_space, and 1 MiB blocks with
// discards ignored. dmctl works in each and never changes its table.
func TestPoolAdoptAnyTable(t *testing.T) {
	for i, tc := range []struct{ blockSectors, lowWater, features string }{
		{"1024", "0", "2 no_discard_passdown error_if_no_space"},
		{"2048", "7", "2 ignore_discard skip_block_zeroing"},
	} {
		f := newPoolFixture(t)
		meta := dmtest.LoopFile(t, 16<<20)
		data := dmtest.LoopFile(t, 512<<20)
		name := fmt.Sprintf("%s-any%d", f.word, i)
		dmtest.Dmsetup(t, "create", name, "--table",
			fmt.Sprintf("0 %d thin-pool %s %s %s %s %s", (512<<20)/512, meta.Path, data.Path, tc.blockSectors, tc.lowWater, tc.features))
		before := dmtest.Dmsetup(t, "table", name)
		f.must("pool", "create", "--thinpooldev", "/dev/mapper/"+name, "--base-size", "128M", "--fs", "ext4")
		f.must("snapshot", "create", "c1")
		mnt := strings.TrimSpace(f.must("mount", "c1"))
		sum := writeData(t, mnt)
		f.must("umount", "c1")
		mnt = strings.TrimSpace(f.must("mount", "c1"))
		checkData(t, mnt, sum)
		f.must("umount", "c1")
		_, errOut, code := f.try("pool", "extend", "--data-size", "1G")
		if code == 0 || !strings.Contains(errOut, "grown by the tool that made it") {
			t.Errorf("pool extend of a dmsetup-made pool = exit %d, stderr %q; want a refusal", code, errOut)
		}
		if got := dmtest.Dmsetup(t, "table", name); got != before {
			t.Errorf("table of %s changed: %q, was %q", name, got, before)
		}
		f.must("pool", "destroy", "--yes")
		dmtest.Dmsetup(t, "remove", name)
	}
}
