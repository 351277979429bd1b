//go:build linux

package commands_test

// Kernel test of check's exit status, which scripts rely on: 0 when the
// pool's files, metadata and devices agree, 1 when they do not (a thin id
// deleted behind dmctl's back), 3 when it could not look. Run by hand with:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run CheckExit ./commands

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/commands"
	"github.com/dmctl/dmctl/dmctl/dmtest"
	"github.com/dmctl/dmctl/format"
)

func TestKernelCheckExitCodes(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "16M", "--base-size", "64M", "--fs", "ext4")
	f.must("snapshot", "create", "a")
	view, _ := format.ViewFor("check")

	out, errOut, code := f.try("--output", "json", "check")
	if code != commands.ExitOK || errOut != "" {
		t.Fatalf("check of a consistent pool = exit %d, stderr %q, want 0", code, errOut)
	}
	if err := view.Validate([]byte(out)); err != nil || !strings.Contains(out, `"consistent": true`) {
		t.Errorf("check --output json = %s (%v), want a valid report, consistent", out, err)
	}

	var thinID int
	for _, s := range f.snapshots() {
		if s.ID == "a" {
			thinID = s.ThinID
		}
	}
	if thinID == 0 {
		t.Fatalf("snapshot a not listed: %+v", f.snapshots())
	}
	dmtest.Dmsetup(t, "message", f.poolName(), "0", "delete", strconv.Itoa(thinID))

	out, errOut, code = f.try("check")
	if code != commands.ExitFailure || len(strings.Split(strings.TrimSpace(out), "\n")) < 2 {
		t.Errorf("check of a pool missing a thin id = exit %d, stderr %q, stdout %q; want 1 and the findings", code, errOut, out)
	}
	checkErrorLine(t, "check", errOut)
	out, _, code = f.try("--output", "json", "check")
	if err := view.Validate([]byte(out)); code != commands.ExitFailure || err != nil || !strings.Contains(out, `"consistent": false`) {
		t.Errorf("check --output json of an inconsistent pool = exit %d, %s (%v); want 1, a valid report, inconsistent", code, out, err)
	}
	if out, errOut, code := f.try("-q", "check"); code != commands.ExitFailure || out != "" {
		t.Errorf("check -q of an inconsistent pool = exit %d, %q, %q; want 1 and nothing on standard output", code, out, errOut)
	} else {
		checkErrorLine(t, "check -q", errOut)
	}

	// Could not look: a root that holds no pool, and one dmctl will not
	// trust (writable by others).
	_, errOut, code = run(t, "--root", t.TempDir(), "check")
	if code != commands.ExitCheckNotRun {
		t.Errorf("check of an empty root = exit %d (stderr %q), want %d", code, errOut, commands.ExitCheckNotRun)
	}
	if err := os.Chmod(f.root, 0o777); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = f.try("check")
	if code != commands.ExitCheckNotRun {
		t.Errorf("check of a root writable by others = exit %d (stderr %q), want %d", code, errOut, commands.ExitCheckNotRun)
	}
	if err := os.Chmod(f.root, 0o700); err != nil {
		t.Fatal(err)
	}
}
