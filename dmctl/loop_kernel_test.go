//go:build linux

package dmctl_test

// Kernel tests of loop devices: attach (plain, read-only, autoclear),
// status, lookup by backing file, capacity change and detach. They run
// where the device-mapper tests run. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelLoop ./dmctl

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// sparseFile creates a sparse file of size bytes in dir.
func sparseFile(t testing.TB, dir, name string, size int64) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return path
}

// attach attaches file and detaches it at the end of the test.
func attach(t testing.TB, file string, opts dmctl.LoopOptions) dmctl.LoopDevice {
	t.Helper()
	d, err := dmctl.AttachLoop(file, opts)
	if err != nil {
		t.Fatalf("AttachLoop(%s, %+v) = %v", file, opts, err)
	}
	t.Cleanup(func() {
		d.Release()
		dmctl.DetachLoop(d.Path)
	})
	return d
}

// attached reports whether file is attached to some loop device.
func attached(t testing.TB, file string) bool {
	t.Helper()
	_, ok, err := dmctl.FindLoop(file)
	if err != nil {
		t.Fatalf("FindLoop(%s) = %v", file, err)
	}
	return ok
}

// TestKernelLoopAttach attaches a file and checks every loop and block function on it.
func TestKernelLoopAttach(t *testing.T) {
	dmtest.Require(t)
	dmtest.RequireLoop(t)
	// A deep directory: the kernel keeps only 64 bytes of the path in
	// lo_file_name; sysfs has all of it.
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 40), strings.Repeat("e", 40))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := sparseFile(t, dir, "disk.img", 64<<20)
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		t.Fatal(err)
	}
	d := attach(t, file, dmctl.LoopOptions{})
	if !strings.HasPrefix(d.Path, "/dev/loop") || d.Dev.Major() != 7 || d.BackingFile != file ||
		d.BackingInode != st.Ino || d.BackingDev != uint64(st.Dev) || d.SizeBytes != 64<<20 || d.ReadOnly || d.Autoclear {
		t.Errorf("AttachLoop(%s) = %+v; want /dev/loopN, major 7, the file's path, device and inode, 64 MiB, rw", file, d)
	}
	s, err := dmctl.LoopStatus(d.Path)
	if err != nil || s.Path != d.Path || s.Dev != d.Dev || s.BackingFile != file || s.BackingInode != st.Ino || s.SizeBytes != d.SizeBytes {
		t.Errorf("LoopStatus(%s) = %+v, %v; want %+v", d.Path, s, err, d)
	}
	if s, err := dmctl.LoopStatusOf(d.Dev); err != nil || s.Path != d.Path || s.BackingFile != file || s.BackingInode != st.Ino || s.BackingDev != uint64(st.Dev) {
		t.Errorf("LoopStatusOf(%s) = %+v, %v; want %+v", d.Dev, s, err, d)
	}
	if _, err := dmctl.LoopStatusOf(dmctl.MakeDev(1, 3)); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("LoopStatusOf(1:3, /dev/null) = %v, want ENOTTY", err)
	}
	found, ok, err := dmctl.FindLoop(file)
	if err != nil || !ok || found.Path != d.Path {
		t.Errorf("FindLoop(%s) = %+v, %v, %v; want %s", file, found, ok, err, d.Path)
	}
	loops, err := dmctl.ListLoops()
	if err != nil {
		t.Fatalf("ListLoops() = %v", err)
	}
	listed := false
	for _, l := range loops {
		listed = listed || l.Path == d.Path
	}
	if !listed {
		t.Errorf("ListLoops() = %+v, want %s in it", loops, d.Path)
	}
	if losetup, err := exec.LookPath("losetup"); err == nil {
		out, err := exec.Command(losetup, "-n", "-O", "BACK-FILE", d.Path).Output()
		if err != nil || strings.TrimSpace(string(out)) != file {
			t.Errorf("losetup -O BACK-FILE %s = %q, %v; want %s", d.Path, out, err, file)
		}
	}
	if got := dmctl.BlockName(d.Dev); got != filepath.Base(d.Path) {
		t.Errorf("BlockName(%v) = %q, want %q", d.Dev, got, filepath.Base(d.Path))
	}
	if got, err := dmctl.LogicalSectorSize(d.Path); err != nil || got != 512 {
		t.Errorf("LogicalSectorSize(%s) = %d, %v; want 512", d.Path, got, err)
	}
	if got, err := dmctl.DeviceSize(d.Path); err != nil || got != 64<<20 {
		t.Errorf("DeviceSize(%s) = %d, %v; want %d", d.Path, got, err, 64<<20)
	}
	if got, ok, err := dmctl.IsBlockDevice(d.Path); err != nil || !ok || got != d.Dev {
		t.Errorf("IsBlockDevice(%s) = %v, %v, %v; want %v, true", d.Path, got, ok, err, d.Dev)
	}

	// Grow the file: the loop device follows after SetLoopCapacity.
	if err := os.Truncate(file, 96<<20); err != nil {
		t.Fatal(err)
	}
	if got, _ := dmctl.DeviceSize(d.Path); got != 64<<20 {
		t.Errorf("DeviceSize(%s) before SetLoopCapacity = %d, want the old %d", d.Path, got, 64<<20)
	}
	if err := dmctl.SetLoopCapacity(d.Path); err != nil {
		t.Fatalf("SetLoopCapacity(%s) = %v", d.Path, err)
	}
	if got, err := dmctl.DeviceSize(d.Path); err != nil || got != 96<<20 {
		t.Errorf("DeviceSize(%s) after SetLoopCapacity = %d, %v; want %d", d.Path, got, err, 96<<20)
	}

	// The same file attaches a second time to another device.
	d2 := attach(t, file, dmctl.LoopOptions{})
	if d2.Path == d.Path {
		t.Errorf("second AttachLoop(%s) = %s, the same device", file, d2.Path)
	}

	if err := dmctl.DetachLoop(d.Path); err != nil {
		t.Fatalf("DetachLoop(%s) = %v", d.Path, err)
	}
	eventually(t, "loop detached", func() bool {
		_, err := dmctl.LoopStatus(d.Path)
		return err != nil
	})
	_, err = dmctl.LoopStatus(d.Path)
	if !errors.Is(err, unix.ENXIO) {
		t.Errorf("LoopStatus(%s) after detach = %v, want ENXIO", d.Path, err)
	}
	if err := dmctl.DetachLoop(d.Path); err != nil {
		t.Errorf("DetachLoop(%s) of a detached device = %v, want nil", d.Path, err)
	}
	if err := dmctl.DetachLoop(d2.Path); err != nil {
		t.Fatalf("DetachLoop(%s) = %v", d2.Path, err)
	}
	eventually(t, "file no longer attached", func() bool { return !attached(t, file) })
	if _, err := dmctl.AttachLoop(filepath.Join(dir, "missing"), dmctl.LoopOptions{}); !errors.Is(err, unix.ENOENT) {
		t.Errorf("AttachLoop(missing file) = %v, want ENOENT", err)
	}
}

// TestKernelLoopReadOnly attaches read-only: writes are refused.
func TestKernelLoopReadOnly(t *testing.T) {
	dmtest.Require(t)
	dmtest.RequireLoop(t)
	file := sparseFile(t, t.TempDir(), "ro.img", 8<<20)
	d := attach(t, file, dmctl.LoopOptions{ReadOnly: true, DirectIO: true})
	t.Logf("read-only loop with DirectIO asked: %+v", d)
	if !d.ReadOnly {
		t.Errorf("AttachLoop(read-only) = %+v, want ReadOnly", d)
	}
	checkWriteRefused(t, d.Path)
	if roAttr, err := os.ReadFile("/sys/block/" + filepath.Base(d.Path) + "/ro"); err != nil || strings.TrimSpace(string(roAttr)) != "1" {
		t.Errorf("/sys/block/%s/ro = %q, %v; want 1", filepath.Base(d.Path), roAttr, err)
	}
}

// TestKernelLoopAutoclear checks that an autoclear loop detaches when
// released with no other user, and stays while a dm table holds it until
// the dm device is removed.
func TestKernelLoopAutoclear(t *testing.T) {
	c := dmtest.Require(t, "linear")
	dmtest.RequireLoop(t)
	dir := t.TempDir()

	alone := sparseFile(t, dir, "alone.img", 8<<20)
	d := attach(t, alone, dmctl.LoopOptions{Autoclear: true})
	if !d.Autoclear {
		t.Errorf("AttachLoop(autoclear) = %+v, want Autoclear", d)
	}
	if !attached(t, alone) {
		t.Fatalf("FindLoop(%s) = not attached while held", alone)
	}
	if err := d.Release(); err != nil {
		t.Fatalf("Release() = %v", err)
	}
	if err := d.Release(); err != nil {
		t.Errorf("second Release() = %v, want nil", err)
	}
	eventually(t, "released autoclear loop detached", func() bool { return !attached(t, alone) })

	held := sparseFile(t, dir, "held.img", 8<<20)
	d = attach(t, held, dmctl.LoopOptions{Autoclear: true})
	name := dmtest.Name(t)
	mustCreate(t, c, name, "", []dmctl.Target{{0, 8 << 11, "linear", d.Dev.String() + " 0"}}, false)
	if err := d.Release(); err != nil {
		t.Fatalf("Release() = %v", err)
	}
	if !attached(t, held) {
		t.Errorf("autoclear loop under a dm device detached at Release")
	}
	if s, err := dmctl.LoopStatus(d.Path); err != nil || !s.Autoclear {
		t.Errorf("LoopStatus(%s) = %+v, %v; want attached, autoclear", d.Path, s, err)
	}
	if _, err := c.Remove(name, dmctl.RemoveOptions{}); err != nil {
		t.Fatalf("Remove(%s) = %v", name, err)
	}
	eventually(t, "autoclear loop detached once its dm user is gone", func() bool { return !attached(t, held) })
}
