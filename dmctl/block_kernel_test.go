//go:build linux

package dmctl_test

// Kernel tests of the block and file functions: sizes, sector size, read
// ahead, kernel names, hole punching. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelBlock ./dmctl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelBlockDevice checks DeviceSize, LogicalSectorSize, ReadAhead,
// BlockName and IsBlockDevice on a dm device against sysfs and dmsetup.
func TestKernelBlockDevice(t *testing.T) {
	c := dmtest.Require(t, "zero")
	name := dmtest.Name(t)
	info := mustCreate(t, c, name, "", zero(12345), false)
	node := dmctl.NodePath(name)
	if got, err := dmctl.DeviceSize(node); err != nil || got != 12345*512 {
		t.Errorf("DeviceSize(%s) = %d, %v; want %d", node, got, err, 12345*512)
	}
	if got, err := dmctl.LogicalSectorSize(node); err != nil || got != 512 {
		t.Errorf("LogicalSectorSize(%s) = %d, %v; want 512", node, got, err)
	}
	want := fmt.Sprintf("dm-%d", info.Dev.Minor())
	if got := dmctl.BlockName(info.Dev); got != want {
		t.Errorf("BlockName(%v) = %q, want %q", info.Dev, got, want)
	}
	if dmName, err := os.ReadFile("/sys/block/" + want + "/dm/name"); err != nil || strings.TrimSpace(string(dmName)) != name {
		t.Errorf("/sys/block/%s/dm/name = %q, %v; want %s", want, dmName, err, name)
	}
	if got := dmctl.BlockName(dmctl.MakeDev(4095, 1<<19)); got != "" {
		t.Errorf("BlockName(missing) = %q, want empty", got)
	}
	ra, err := dmctl.ReadAhead(info.Dev)
	if err != nil {
		t.Fatalf("ReadAhead(%v) = %v", info.Dev, err)
	}
	for _, l := range outputLines(dmtest.Dmsetup(t, "info", name)) {
		if v, ok := strings.CutPrefix(l, "Read Ahead:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || uint32(n) != ra {
				t.Errorf("ReadAhead(%v) = %d; dmsetup info says %q", info.Dev, ra, l)
			}
		}
	}
	if _, err := dmctl.ReadAhead(dmctl.MakeDev(4095, 1<<19)); !errors.Is(err, unix.ENOENT) {
		t.Errorf("ReadAhead(missing) = %v, want ENOENT", err)
	}
	if got, ok, err := dmctl.IsBlockDevice(node); err != nil || !ok || got != info.Dev {
		t.Errorf("IsBlockDevice(%s) = %v, %v, %v; want %v, true", node, got, ok, err, info.Dev)
	}
	dmNode := "/dev/" + want
	if got, ok, err := dmctl.IsBlockDevice(dmNode); err != nil || !ok || got != info.Dev {
		t.Errorf("IsBlockDevice(%s) = %v, %v, %v; want %v, true", dmNode, got, ok, err, info.Dev)
	}
	if _, ok, err := dmctl.IsBlockDevice(dmctl.ControlPath); err != nil || ok {
		t.Errorf("IsBlockDevice(%s) = %v, %v; want false", dmctl.ControlPath, ok, err)
	}
	if _, _, err := dmctl.IsBlockDevice("/dev/no-such-node"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("IsBlockDevice(missing) = %v, want ENOENT", err)
	}
	if _, err := dmctl.DeviceSize("/dev/no-such-node"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("DeviceSize(missing) = %v, want ENOENT", err)
	}
	if _, err := dmctl.LogicalSectorSize(dmctl.ControlPath); err == nil {
		t.Errorf("LogicalSectorSize(%s) = nil error, want ENOTTY", dmctl.ControlPath)
	}
	// The spare virtio disks of the QEMU guest, when present.
	for _, disk := range []string{"/dev/vda", "/dev/vdb"} {
		if _, err := os.Stat(disk); err != nil {
			continue
		}
		size, err := dmctl.DeviceSize(disk)
		sector, err2 := dmctl.LogicalSectorSize(disk)
		t.Logf("%s: %d bytes, %d-byte sectors (%v, %v)", disk, size, sector, err, err2)
		if err != nil || err2 != nil || size == 0 || sector != 512 {
			t.Errorf("DeviceSize, LogicalSectorSize(%s) = %d, %d, %v, %v", disk, size, sector, err, err2)
		}
	}
}

// TestKernelBlockPunchHole writes a file, punches a hole and checks its
// allocation drops while its size stays.
func TestKernelBlockPunchHole(t *testing.T) {
	dmtest.Require(t)
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, bytes.Repeat([]byte{0xff}, 4<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := dmctl.AllocatedBytes(file)
	if err != nil || before < 4<<20 {
		t.Fatalf("AllocatedBytes(%s) = %d, %v; want at least 4 MiB", file, before, err)
	}
	if err := dmctl.PunchHole(file, 1<<20, 2<<20); err != nil {
		t.Fatalf("PunchHole(%s, 1 MiB, 2 MiB) = %v", file, err)
	}
	after, err := dmctl.AllocatedBytes(file)
	if err != nil || before-after != 2<<20 {
		t.Errorf("AllocatedBytes(%s) = %d -> %d, %v; want 2 MiB less", file, before, after, err)
	}
	if size, err := dmctl.DeviceSize(file); err != nil || size != 4<<20 {
		t.Errorf("DeviceSize(%s) = %d, %v; want 4 MiB kept", file, size, err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[1<<20:3<<20], make([]byte, 2<<20)) || b[1<<20-1] != 0xff || b[3<<20] != 0xff {
		t.Errorf("contents after PunchHole: want zeros in [1 MiB, 3 MiB) only")
	}
	if err := dmctl.PunchHole(filepath.Join(filepath.Dir(file), "missing"), 0, 1); !errors.Is(err, unix.ENOENT) {
		t.Errorf("PunchHole(missing) = %v, want ENOENT", err)
	}
	if _, err := dmctl.AllocatedBytes(filepath.Join(filepath.Dir(file), "missing")); !errors.Is(err, unix.ENOENT) {
		t.Errorf("AllocatedBytes(missing) = %v, want ENOENT", err)
	}
}
