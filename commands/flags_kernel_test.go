//go:build linux

package commands_test

// Kernel tests of flags written after the arguments, in the spellings
// admins use: the short forms that were once silently dropped. They run
// as root with device-mapper (in the QEMU guest of scripts/vmexec):
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run FlagsAfter ./commands

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// mountOptions returns the per-mount options of the mount on dir, from
// /proc/self/mountinfo.
func mountOptions(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[4] == dir {
			opts = strings.Split(f[5], ",") // the last mount on dir wins
		}
	}
	if opts == nil {
		t.Fatalf("%s is not a mount point", dir)
	}
	return opts
}

// TestKernelFlagsAfterArguments creates devices with -u, -r and --table
// after the name and checks what dmsetup sees.
func TestKernelFlagsAfterArguments(t *testing.T) {
	dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	uuidDev, roDev := p+"-u", p+"-r"
	t.Cleanup(func() { run(t, "remove", uuidDev, roDev) })

	mustRun(t, "create", uuidDev, "--table", "0 8 zero", "-u", "DMCTL-"+p)
	if got := strings.TrimSpace(dmtest.Dmsetup(t, "info", "-c", "--noheadings", "-o", "uuid", uuidDev)); got != "DMCTL-"+p {
		t.Errorf("create NAME --table T -u U: dmsetup sees uuid %q, want %q", got, "DMCTL-"+p)
	}
	mustRun(t, "create", roDev, "-r", "--table=0 8 zero")
	if got := strings.TrimSpace(dmtest.Dmsetup(t, "info", "-c", "--noheadings", "-o", "attr", roDev)); got != "L--r" {
		t.Errorf("create NAME -r: dmsetup attr %q, want L--r", got)
	}
}

// TestKernelMountFlagsAfterID mounts thin devices with -o ro and -r after
// the id: the mounts must be read-only, for the kernel and for a writer.
func TestKernelMountFlagsAfterID(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "16M", "--base-size", "64M", "--fs", "ext4")
	f.must("snapshot", "create", "ctr")
	f.must("snapshot", "create", "other")

	for _, tc := range []struct {
		id   string
		args []string
	}{
		{"ctr", []string{"mount", "ctr", "-o", "ro"}},
		{"other", []string{"mount", "other", t.TempDir(), "-r"}},
		{"ctr", []string{"mount", "-o", "noexec,ro", "ctr"}},
	} {
		mnt := strings.TrimSpace(f.must(tc.args...))
		if !slices.Contains(mountOptions(t, mnt), "ro") {
			t.Errorf("dmctl %s: mount options %q, want ro", strings.Join(tc.args, " "), mountOptions(t, mnt))
		}
		err := os.WriteFile(filepath.Join(mnt, "x"), []byte("x"), 0o644)
		if !errors.Is(err, syscall.EROFS) {
			t.Errorf("dmctl %s: writing a file = %v, want EROFS", strings.Join(tc.args, " "), err)
		}
		f.must("umount", tc.id)
	}
	// And a read-write mount is writable, so the check above means something.
	mnt := strings.TrimSpace(f.must("mount", "ctr"))
	if err := os.WriteFile(filepath.Join(mnt, "x"), []byte("x"), 0o644); err != nil {
		t.Errorf("dmctl mount ctr: writing a file = %v, want success", err)
	}
	f.must("umount", "ctr")
}
