//go:build linux

package commands_test

// Kernel tests of direct-lvm: dmctl sets an LVM thin pool up on a block
// device as Docker 17.06+ did for dm.directlvm_device, with LVM2's own
// tools in the guest, and adopts it.
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run DirectLVM ./commands

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lvField returns one lvs field of a volume.
func lvField(t *testing.T, vol, field string) string {
	t.Helper()
	return strings.TrimSpace(lvmRun(t, "lvs", "--noheadings", "-o", field, vol))
}

// isPV reports whether LVM sees a physical volume on dev.
func isPV(t *testing.T, dev string) bool {
	t.Helper()
	_, err := lvmTry(t, "pvs", dev)
	return err == nil
}

// TestDirectLVM sets direct-lvm up with Docker's options, checks what LVM
// made, uses the pool, refuses another device on a later run, takes the
// volumes over again after a destroy that keeps them, and removes them on
// request.
func TestDirectLVM(t *testing.T) {
	disk := spareDisk(t)
	f := newPoolFixture(t)
	out, errOut, code := f.try("pool", "create", "--base-size", "128M", "--fs", "ext4",
		"--storage-opt", "dm.directlvm_device="+disk,
		"--storage-opt", "dm.thinp_percent=95",
		"--storage-opt", "dm.thinp_metapercent=1",
		"--storage-opt", "dm.thinp_autoextend_threshold=80",
		"--storage-opt", "dm.thinp_autoextend_percent=20",
		"--storage-opt", "dm.directlvm_device_force=false")
	if code != 0 || errOut != "" {
		t.Fatalf("pool create (direct-lvm) = exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	if got := f.poolName(); got != "docker-thinpool" {
		t.Errorf("pool name = %q, want docker-thinpool", got)
	}
	for field, want := range map[string]string{
		"segtype":     "thin-pool",
		"chunk_size":  "512.00k",
		"zero":        "",
		"lv_profile":  "docker-thinpool",
		"seg_monitor": "monitored",
	} {
		if got := lvField(t, "docker/thinpool", field); got != want {
			t.Errorf("lvs -o %s docker/thinpool = %q, want %q", field, got, want)
		}
	}
	vgSize := lvmRun(t, "vgs", "--noheadings", "--nosuffix", "--units", "b", "-o", "vg_size,vg_extent_size", "docker")
	var vg, extent float64
	if _, err := fmt.Sscan(vgSize, &vg, &extent); err != nil {
		t.Fatalf("vgs docker = %q: %v", vgSize, err)
	}
	data, meta := lvSizes(t, "docker/thinpool")
	if want := vg * 95 / 100; float64(data) < want-extent || float64(data) > want+extent {
		t.Errorf("thin pool data is %d bytes, want 95%% of the volume group's %.0f", data, vg)
	}
	if want := vg / 100; float64(meta) < want-extent || float64(meta) > want+extent {
		t.Errorf("thin pool metadata is %d bytes, want 1%% of the volume group's %.0f", meta, vg)
	}
	profile, err := os.ReadFile("/etc/lvm/profile/docker-thinpool.profile")
	if err != nil || !strings.Contains(string(profile), "thin_pool_autoextend_threshold=80") ||
		!strings.Contains(string(profile), "thin_pool_autoextend_percent=20") {
		t.Errorf("docker-thinpool.profile = %q, %v; want threshold 80 and percent 20", profile, err)
	}
	if setup := setupConfig(t, f.root); setup["Device"] != disk || setup["ThinpPercent"] != 95.0 ||
		setup["ThinpMetaPercent"] != 1.0 || setup["AutoExtendThreshold"] != 80.0 || setup["AutoExtendPercent"] != 20.0 {
		t.Errorf("setup-config.json = %v, want Docker's keys for %s", setup, disk)
	}
	out, _, _ = f.try("info")
	if !strings.Contains(out, " Pool Blocksize: 524.3kB\n") || !strings.Contains(out, " Pool Name: docker-thinpool\n") {
		t.Errorf("info of the direct-lvm pool:\n%s", out)
	}
	f.must("snapshot", "create", "c1")
	mnt := strings.TrimSpace(f.must("mount", "c1"))
	sum := writeData(t, mnt)
	f.must("umount", "c1")

	// Another device on a later run is refused, as Docker refused it.
	for _, args := range [][]string{
		{"pool", "activate", "--storage-opt", "dm.directlvm_device=/dev/vdb"},
		{"pool", "activate", "--storage-opt", "dm.thinp_autoextend_threshold=70", "--storage-opt", "dm.directlvm_device=" + disk},
	} {
		_, errOut, code := f.try(args...)
		if code == 0 || !strings.Contains(errOut, "changing direct-lvm config is not supported") {
			t.Errorf("%v = exit %d, stderr %q; want Docker's refusal", args, code, errOut)
		}
		checkErrorLine(t, strings.Join(args, " "), errOut)
	}

	// A reboot: LVM's volume group down, pool activate brings it up.
	f.must("pool", "deactivate")
	lvmRun(t, "vgchange", "-an", "docker")
	f.must("pool", "activate")
	mnt = strings.TrimSpace(f.must("mount", "c1"))
	checkData(t, mnt, sum)
	f.must("umount", "c1")

	// destroy keeps the volumes unless asked, and says so.
	_, errOut, code = f.try("pool", "destroy", "--yes")
	if code != 0 || !strings.Contains(errOut, "--remove-volumes") {
		t.Errorf("pool destroy --yes = exit %d, stderr %q; want 0 and a note on --remove-volumes", code, errOut)
	}
	if got := lvField(t, "docker/thinpool", "segtype"); got != "thin-pool" {
		t.Errorf("pool destroy --yes removed the LVM thin pool (segtype %q)", got)
	}
	_, errOut, code = f.try("pool", "create", "--directlvm-device", "/dev/vdb", "--base-size", "128M", "--fs", "ext4")
	if code == 0 || !strings.Contains(errOut, "changing direct-lvm config is not supported") {
		t.Errorf("pool create on another device after destroy = exit %d, stderr %q; want Docker's refusal", code, errOut)
	}
	checkErrorLine(t, "pool create (another device)", errOut)
	if isPV(t, "/dev/vdb") {
		t.Errorf("the refused create made /dev/vdb a physical volume")
	}
	// The same settings take the kept volumes over again.
	f.must("pool", "create", "--directlvm-device", disk, "--thinp-autoextend-threshold", "80", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "c2")
	f.must("pool", "destroy", "--yes", "--remove-volumes")
	if isPV(t, disk) {
		t.Errorf("pool destroy --remove-volumes left %s a physical volume", disk)
	}
	for _, p := range []string{"/etc/lvm/profile/docker-thinpool.profile", filepath.Join(f.root, "setup-config.json")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("after pool destroy --remove-volumes, stat %s: %v, want it gone", p, err)
		}
	}
	if out := f.must("--output", "json", "pool", "ls"); strings.TrimSpace(out) != "[]" {
		t.Errorf("pool ls after destroy = %q, want []", out)
	}
}

// TestDirectLVMRefusesUsedDevices refuses a device holding a filesystem,
// a partition table or an LVM label unless forced, and one in another
// volume group even when forced, each with one line and nothing changed.
func TestDirectLVMRefusesUsedDevices(t *testing.T) {
	disk := spareDisk(t)
	f := newPoolFixture(t)
	var before string
	create := func(extra ...string) (string, int) {
		before = rootListing(t, f.root)
		args := append([]string{"pool", "create", "--directlvm-device", disk, "--base-size", "128M", "--fs", "ext4"}, extra...)
		_, errOut, code := f.try(args...)
		return errOut, code
	}
	refused := func(what, errOut string, code int, want string) {
		t.Helper()
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("%s: pool create = exit %d, stderr %q; want a refusal naming %q", what, code, errOut, want)
		}
		checkErrorLine(t, what, errOut)
		if got := rootListing(t, f.root); got != before {
			t.Errorf("%s: the refused create changed the root:\n%s", what, lineDiff(got, before))
		}
	}

	oracle(t, "mkfs.ext4", "-q", "-F", disk)
	errOut, code := create()
	refused("ext4 filesystem", errOut, code, "an ext4 filesystem")
	if isPV(t, disk) {
		t.Errorf("the refused create made %s a physical volume", disk)
	}
	if out := oracle(t, "blkid", "-o", "value", "-s", "TYPE", disk); strings.TrimSpace(out) != "ext4" {
		t.Errorf("after the refused create blkid %s = %q, want ext4 still", disk, out)
	}
	errOut, code = create("--directlvm-device-force")
	if code != 0 {
		t.Fatalf("pool create --directlvm-device-force over ext4 = exit %d, stderr %q", code, errOut)
	}
	f.must("pool", "destroy", "--yes", "--remove-volumes")

	wipeDisk(t, disk)
	mbr := make([]byte, 512)
	mbr[446+4], mbr[446+8], mbr[446+12] = 0x83, 0x08, 0x80 // one Linux partition
	mbr[510], mbr[511] = 0x55, 0xaa
	writeAt(t, disk, mbr, 0)
	errOut, code = create()
	refused("partition table", errOut, code, "a dos partition table")

	wipeDisk(t, disk)
	lvmRun(t, "pvcreate", disk)
	errOut, code = create()
	refused("LVM label", errOut, code, "an LVM physical volume label")

	lvmRun(t, "vgcreate", "other", disk)
	t.Cleanup(func() { lvmTry(t, "vgremove", "-ff", "-y", "other") })
	errOut, code = create("--directlvm-device-force")
	refused("other volume group", errOut, code, `already part of volume group "other"`)
	if got := strings.TrimSpace(lvmRun(t, "pvs", "--noheadings", "-o", "vg_name", disk)); got != "other" {
		t.Errorf("after the refused create %s is in volume group %q, want other", disk, got)
	}
}

// TestDirectLVMWithoutLVM runs pool create with LVM's tools out of reach
// (an empty /usr/sbin in a private mount namespace): one line naming the
// lvm2 package, nothing changed.
func TestDirectLVMWithoutLVM(t *testing.T) {
	disk := spareDisk(t)
	f := newPoolFixture(t)
	unshare := requireTool(t, "unshare")
	args := append([]string{"-m", "/usr/bin/bash", "-c", `mount -t tmpfs tmpfs /usr/sbin && exec "$0" "$@"`, os.Args[0]},
		f.args("pool", "create", "--directlvm-device", disk, "--fs", "ext4")...)
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	err := cmd.Run()
	if err == nil || !strings.Contains(errOut.String(), "lvm2") {
		t.Errorf("pool create without LVM's tools = %v, stderr %q; want a failure naming the lvm2 package", err, errOut.String())
	}
	checkErrorLine(t, "pool create without LVM", errOut.String())
	if isPV(t, disk) {
		t.Errorf("pool create without LVM's tools changed %s", disk)
	}
	if left := rootEntries(t, f.root); len(left) != 0 {
		t.Errorf("pool create without LVM's tools left %v in the root", left)
	}
}

// writeAt writes b at off of a device.
func writeAt(t *testing.T, dev string, b []byte, off int64) {
	t.Helper()
	fd, err := os.OpenFile(dev, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if _, err := fd.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := fd.Sync(); err != nil {
		t.Fatal(err)
	}
}

// setupConfig decodes a root's setup-config.json.
func setupConfig(t *testing.T, root string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "setup-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDirectLVMKilled kills pool create --directlvm-device at several
// points of the setup; pool activate must then finish it (or, when the
// kill came before anything was recorded, a new create must work), and
// pool destroy --remove-volumes must leave the disk clean.
func TestDirectLVMKilled(t *testing.T) {
	disk := spareDisk(t)
	f := newPoolFixture(t)
	for _, d := range []time.Duration{400 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second} {
		cmd := exec.Command(os.Args[0], f.args("pool", "create", "--directlvm-device", disk, "--base-size", "128M", "--fs", "ext4")...)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(d)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var pools []json.RawMessage
		decodeJSON(t, f.must("--output", "json", "pool", "ls"), &pools)
		t.Logf("pool create killed after %v: %v; pool ls: %d pools; pvs: %v", d, err, len(pools), isPV(t, disk))
		if len(pools) == 0 {
			f.must("pool", "create", "--directlvm-device", disk, "--base-size", "128M", "--fs", "ext4", "--directlvm-device-force")
		} else {
			f.must("pool", "activate")
		}
		f.must("snapshot", "create", "c1")
		if got := lvField(t, "docker/thinpool", "segtype"); got != "thin-pool" {
			t.Errorf("after the kill at %v and recovery, docker/thinpool is %q", d, got)
		}
		f.must("pool", "destroy", "--yes", "--remove-volumes")
		if isPV(t, disk) {
			t.Errorf("after the kill at %v, pool destroy --remove-volumes left a physical volume", d)
		}
	}
}
