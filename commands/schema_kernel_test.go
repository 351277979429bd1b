//go:build linux

package commands_test

// Kernel test: every command's --output json, on real devices and a real
// pool, against the schema of docs/json.md (format.Views); the commands
// that print nothing print nothing. Run by hand with:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run JSONSchema ./commands

import (
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
	"github.com/dmctl/dmctl/format"
)

// checkJSON runs dmctl --output json ARGS, which must succeed, and checks
// its output against the view the schema gives command.
func checkJSON(t *testing.T, command string, args ...string) string {
	t.Helper()
	out := mustRun(t, append([]string{"--output", "json"}, args...)...)
	view, ok := format.ViewFor(command)
	if !ok {
		t.Fatalf("no view for %q", command)
	}
	if err := view.Validate([]byte(out)); err != nil {
		t.Errorf("dmctl --output json %s does not match the %s view: %v\n%s", strings.Join(args, " "), view.Name, err, out)
	}
	return out
}

// checkNoOutput runs dmctl --output json ARGS, which must succeed and
// print nothing.
func checkNoOutput(t *testing.T, args ...string) {
	t.Helper()
	if out := mustRun(t, append([]string{"--output", "json"}, args...)...); out != "" {
		t.Errorf("dmctl --output json %s printed %q, want nothing", strings.Join(args, " "), out)
	}
}

func TestKernelJSONSchema(t *testing.T) {
	dmtest.Require(t, "zero", "error", "linear", "thin-pool", "thin")
	p := dmtest.Name(t)
	zero, multi := p+"-z", p+"-m"
	checkNoOutput(t, "create", zero, "-u", "DMCTL-"+p, "--table", "0 16 zero")
	checkNoOutput(t, "create", multi, "--table", "0 100 zero;100 50 error;150 16 linear /dev/mapper/"+zero+" 0")
	pool, _, _ := thinPoolDevices(t, p)
	checkJSON(t, "message", "message", pool, "0", "create_thin", "0")
	thin := p + "-thin"
	checkNoOutput(t, "create", thin, "--table", "0 65536 thin /dev/mapper/"+pool+" 0")

	checkJSON(t, "version", "version")
	checkJSON(t, "targets", "targets")
	checkJSON(t, "ls", "ls")
	checkJSON(t, "ls --tree", "ls", "--tree")
	checkJSON(t, "info NAME...", "info", zero, multi)
	checkJSON(t, "info -c", "info", "-c")
	checkJSON(t, "wait", "wait", zero, "99") // returns at once: the counter is not 99
	checkJSON(t, "status", "status")
	checkJSON(t, "status", "status", multi, "--inactive")
	checkJSON(t, "table", "table")
	checkJSON(t, "deps", "deps")
	checkJSON(t, "message", "message", pool, "0", "@stats_list")

	checkNoOutput(t, "suspend", multi)
	checkNoOutput(t, "load", multi, "--table", "0 8 zero")
	checkNoOutput(t, "resume", multi)
	checkNoOutput(t, "mknodes", multi)
	checkNoOutput(t, "remove", multi, thin)
	// (clear and rename on separate devices: on Debian's 6.1 kernel, removing
	// a device that was renamed after its inactive table was cleared trips
	// a double free in dm-ima.)
	cleared, renamed := p+"-c", p+"-r"
	checkNoOutput(t, "create", cleared, "--table", "0 8 zero")
	checkNoOutput(t, "load", cleared, "--table", "0 16 zero")
	checkNoOutput(t, "clear", cleared)
	checkNoOutput(t, "remove", cleared)
	checkNoOutput(t, "create", renamed, "--table", "0 8 zero")
	checkNoOutput(t, "rename", renamed, renamed+"2")
	checkNoOutput(t, "remove", renamed+"2")

	f := newPoolFixture(t)
	checkJSON(t, "pool create", f.args("pool", "create", "--data-size", "1G", "--metadata-size", "16M",
		"--base-size", "64M", "--fs", "ext4")...)
	checkJSON(t, "pool ls", f.args("pool", "ls")...)
	checkJSON(t, "info", f.args("info")...)
	checkJSON(t, "snapshot create", f.args("snapshot", "create", "a")...)
	checkJSON(t, "snapshot ls", f.args("snapshot", "ls")...)
	checkJSON(t, "snapshot ls --tree", f.args("snapshot", "ls", "--tree")...)
	checkJSON(t, "activate", f.args("activate", "a")...)
	checkNoOutput(t, f.args("deactivate", "a")...)
	checkJSON(t, "mount", f.args("mount", "a")...)
	checkNoOutput(t, f.args("umount", "a")...)
	checkJSON(t, "trim", f.args("trim", "--dry-run")...)
	checkJSON(t, "trim", f.args("trim")...)
	checkJSON(t, "check", f.args("check")...)
	checkJSON(t, "pool extend", f.args("pool", "extend", "--data-size", "2G")...)
	checkNoOutput(t, f.args("snapshot", "rm", "a")...)
	checkNoOutput(t, f.args("pool", "deactivate")...)
	checkJSON(t, "pool activate", f.args("pool", "activate")...)
	checkNoOutput(t, f.args("pool", "destroy", "--yes")...)
}
