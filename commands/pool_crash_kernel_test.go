package commands_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/pool"
)

// TestPoolCrashPoints kills dmctl with SIGKILL at every step of a
// snapshot create (of an active origin, so the origin is suspended
// meanwhile) and of a snapshot rm, then checks that the next command
// finishes or rolls back what was left: no transaction open, the origin
// resumed, dmctl check consistent (files, pool thin ids, kernel devices),
// and at the end thin_check clean with thin_ls listing exactly the thin ids
// dmctl records. Run it with make vmtest, or by hand:
//
//	go test -exec $PWD/scripts/vmexec -run TestPoolCrashPoints -v ./commands
func TestPoolCrashPoints(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "image")
	f.must("activate", "image")
	imageDM := ""
	for _, d := range f.snapshots() {
		if d.ID == "image" {
			imageDM = d.Name
		}
	}
	txn := filepath.Join(f.root, "metadata", "transaction-metadata")
	for i, step := range pool.CrashSteps() {
		var ops [][]string
		if !strings.HasPrefix(step, "delete:") {
			ops = append(ops, []string{"snapshot", "create", fmt.Sprintf("c%d", i), "--origin", "image"})
		}
		if !strings.HasPrefix(step, "create:") {
			victim := fmt.Sprintf("d%d", i)
			f.must("snapshot", "create", victim)
			ops = append(ops, []string{"snapshot", "rm", victim})
		}
		for _, op := range ops {
			cmd := exec.Command(os.Args[0], f.args(op...)...)
			cmd.Env = append(os.Environ(), mainEnv+"=1", pool.CrashEnv+"="+step)
			var errOut bytes.Buffer
			cmd.Stderr = &errOut
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != -1 {
				t.Fatalf("%v with %s=%s: %v %s, want killed by SIGKILL", op, pool.CrashEnv, step, err, errOut.String())
			}
			// A reader before any recovery reports the interrupted
			// transaction and nothing else: no lost device, no orphan
			// thin id, whose repairs would remove files or data.
			if out, errOut, code := f.try("check"); code != 0 && !onlyFindings(out, "open-transaction") {
				t.Errorf("%v killed at %s: dmctl check before recovery = exit %d\n%s%s", op, step, code, out, errOut)
			}
			// The next mutating command recovers.
			f.must("pool", "activate")
			if _, err := os.Stat(txn); !os.IsNotExist(err) {
				t.Errorf("%v killed at %s: transaction left open after the next command (%v)", op, step, err)
			}
			if out := oracle(t, "dmsetup", "info", "-c", "--noheadings", "-o", "attr", imageDM); strings.Contains(out, "s") {
				t.Errorf("%v killed at %s: origin %s left suspended (attr %s)", op, step, imageDM, strings.TrimSpace(out))
			}
			if out, errOut, code := f.try("check"); code != 0 {
				t.Errorf("%v killed at %s: dmctl check = exit %d\n%s%s", op, step, code, out, errOut)
			}
			t.Logf("%v killed at %s: recovered", op, step)
		}
	}
	want := f.thinIDs()
	f.must("pool", "deactivate")
	meta := filepath.Join(f.root, "devicemapper", "metadata")
	oracle(t, "thin_check", meta)
	if got := metadataThinIDs(t, meta); !slices.Equal(got, want) {
		t.Errorf("thin_ls %s = %v, dmctl records %v", meta, got, want)
	}
}
