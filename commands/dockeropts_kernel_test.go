//go:build linux

package commands_test

// Kernel test of Docker's options that dmctl accepts for compatibility:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run DockerHarmless ./commands

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// xfsMaxRetries reads the xfs error configuration Docker's
// dm.xfs_nospace_max_retries sets, for the device mounted on dir.
func xfsMaxRetries(t *testing.T, dir string) string {
	t.Helper()
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && f[4] == dir {
			var maj, min uint64
			fmt.Sscanf(f[2], "%d:%d", &maj, &min)
			b, err := os.ReadFile(fmt.Sprintf("/sys/fs/xfs/dm-%d/error/metadata/ENOSPC/max_retries", min))
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("%s is not mounted", dir)
	return ""
}

// TestDockerHarmlessOptions: dm.no_warn_on_loop_devices silences info's
// loopback warning, dm.libdm_log_level is accepted with a note, and
// dm.xfs_nospace_max_retries is written to the xfs error configuration of
// the mounted device, as Docker did.
func TestDockerHarmlessOptions(t *testing.T) {
	f := newPoolFixture(t)
	_, errOut, code := f.try("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "320M", "--fs", "xfs",
		"--storage-opt", "dm.no_warn_on_loop_devices=true", "--storage-opt", "dm.libdm_log_level=7",
		"--storage-opt", "dm.xfs_nospace_max_retries=0")
	if code != 0 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "dm.libdm_log_level") {
		t.Fatalf("pool create with Docker's harmless options = exit %d, stderr %q; want 0 and one note on dm.libdm_log_level", code, errOut)
	}
	if _, errOut, code := f.try("info"); code != 0 || errOut != "" {
		t.Errorf("info with dm.no_warn_on_loop_devices=true = exit %d, stderr %q; want no warning", code, errOut)
	}
	if _, errOut, _ := f.try("info", "--storage-opt", "dm.no_warn_on_loop_devices=false"); !strings.Contains(errOut, "loopback") {
		t.Errorf("info with dm.no_warn_on_loop_devices=false: stderr %q, want the loopback warning", errOut)
	}
	f.must("snapshot", "create", "a")
	f.must("snapshot", "create", "b")
	mnt := strings.TrimSpace(f.must("mount", "a"))
	if got := xfsMaxRetries(t, mnt); got != "0" {
		t.Errorf("max_retries of the device mounted on %s = %q, want 0", mnt, got)
	}
	mnt2 := strings.TrimSpace(f.must("mount", "b", "--storage-opt", "dm.xfs_nospace_max_retries=5"))
	if got := xfsMaxRetries(t, mnt2); got != "5" {
		t.Errorf("max_retries of the device mounted on %s = %q, want 5", mnt2, got)
	}
	f.must("umount", "a")
	f.must("umount", "b")
	_, errOut, code = f.try("pool", "create", "--storage-opt", "dm.libdm_log_level=12")
	if code != 2 {
		t.Errorf("pool create with dm.libdm_log_level=12 = exit %d, stderr %q; want 2", code, errOut)
	}
}
