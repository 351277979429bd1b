//go:build linux

package commands_test

// Kernel tests: dmctl --output dmsetup against dmsetup itself, byte for
// byte, on the same devices. They run as root with device-mapper (in the
// QEMU guest of scripts/vmexec) and skip elsewhere:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v ./commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// fixture is a set of devices of many kinds, made with dmctl.
type fixture struct {
	prefix string
	names  map[string]string // short name -> device name
}

// dev returns the device name of a short name.
func (f *fixture) dev(short string) string { return f.names[short] }

// newFixture builds: a linear device on a loop device, a zero device with
// a uuid, a read-only error device, a striped device over two loop
// devices, a two-target device, a suspended device, a device with an
// inactive table, a thin pool with a thin
// device, and a linear device stacked on another dm device.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dmtest.Require(t, "linear", "striped", "zero", "error", "thin-pool", "thin")
	p := dmtest.Name(t)
	f := &fixture{prefix: p, names: map[string]string{}}
	l1 := dmtest.LoopFile(t, 16<<20)
	l2 := dmtest.LoopFile(t, 16<<20)
	meta := dmtest.LoopFile(t, 8<<20)
	data := dmtest.LoopFile(t, 64<<20)
	mk := func(short string, args ...string) {
		t.Helper()
		name := p + "-" + short
		f.names[short] = name
		mustRun(t, append(append([]string{"create"}, args...), name)...)
	}
	mk("linear", "--table", "0 8192 linear "+l1.Path+" 0")
	mk("zero", "--uuid", "DMCTL-"+p+"-zero", "--table", "0 1024 zero")
	mk("error", "--readonly", "--table", "0 64 error")
	mk("striped", "--table", fmt.Sprintf("0 16384 striped 2 128 %s 8192 %s 0", l1.Path, l2.Path))
	mk("multi", "--table", "0 100 zero;100 50 error;150 200 linear "+l2.Path+" 16384")
	mk("susp", "--table", "0 16 zero")
	mustRun(t, "suspend", f.dev("susp"))
	mk("inact", "--uuid", "DMCTL-"+p+"-inact", "--table", "0 16 zero")
	mustRun(t, "load", "--table", "0 32 error", f.dev("inact"))
	mk("pool", "--table", fmt.Sprintf("0 131072 thin-pool %s %s 128 0 1 skip_block_zeroing", meta.Path, data.Path))
	mustRun(t, "message", f.dev("pool"), "0", "create_thin", "0")
	mk("thin", "--table", "0 65536 thin /dev/mapper/"+f.dev("pool")+" 0")
	mk("stacked", "--table", "0 4096 linear /dev/mapper/"+f.dev("linear")+" 2048")
	return f
}

// compareDmsetup runs dmctl --output dmsetup ARGS and dmsetup ARGS and
// fails the test unless their standard outputs are equal.
func compareDmsetup(t *testing.T, args ...string) {
	t.Helper()
	want := dmtest.Dmsetup(t, args...)
	got, errOut, code := run(t, append([]string{"--output", "dmsetup"}, args...)...)
	if code != 0 || errOut != "" {
		t.Errorf("dmctl --output dmsetup %s = exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	if got != want {
		t.Errorf("dmctl --output dmsetup %s differs from dmsetup (- dmsetup, + dmctl):\n%s",
			strings.Join(args, " "), lineDiff(got, want))
	}
}

// TestKernelDmsetupOutput compares every read-only verb's dmsetup output.
func TestKernelDmsetupOutput(t *testing.T) {
	f := newFixture(t)
	all := []string{"linear", "zero", "error", "striped", "multi", "susp", "inact", "pool", "thin", "stacked"}
	var names []string
	for _, s := range all {
		names = append(names, f.dev(s))
	}
	tests := [][]string{
		{"ls"},
		{"ls", "--target", "linear"},
		{"ls", "--target", "zero"},
		{"ls", "--target", "thin-pool"},
		{"ls", "--target", "striped"},
		{"ls", "--target", "no-such-target"},
		{"info"},
		{"info", "-c"},
		{"info", "-c", f.dev("zero")},
		{"status"},
		{"status", "--noflush"},
		{"status", "--target", "thin-pool"},
		{"status", "--target", "error"},
		{"table"},
		{"table", "--target", "linear"},
		{"deps"},
		{"targets"},
	}
	for _, s := range all {
		tests = append(tests,
			[]string{"info", f.dev(s)},
			[]string{"status", f.dev(s)},
			[]string{"table", f.dev(s)},
			[]string{"deps", f.dev(s)},
		)
	}
	tests = append(tests,
		append([]string{"info"}, names...),
		append([]string{"status"}, names...),
		append([]string{"table"}, names...),
		append([]string{"deps"}, names...),
		[]string{"table", "--inactive", f.dev("inact")},
		[]string{"table", "--inactive", f.dev("inact"), f.dev("zero")},
		[]string{"status", "--inactive", f.dev("inact")},
		[]string{"table", "--target", "zero", f.dev("multi")},
		[]string{"status", "--target", "linear", f.dev("multi")},
	)
	for _, args := range tests {
		compareDmsetup(t, args...)
	}
}

// TestKernelVersionVerb compares dmctl version's driver line with
// dmsetup's; the library line names dmctl instead of libdevmapper.
func TestKernelVersionVerb(t *testing.T) {
	dmtest.Require(t)
	want := dmtest.Dmsetup(t, "version")
	got := mustRun(t, "--output", "dmsetup", "version")
	driver := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "Driver version:") {
				return l
			}
		}
		return ""
	}
	if driver(got) == "" || driver(got) != driver(want) {
		t.Errorf("dmctl version = %q; dmsetup version = %q", got, want)
	}
	if lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "Library version:") {
		t.Errorf("dmctl version = %q, want a Library and a Driver line", got)
	}
	for _, k := range []string{"table", "json"} {
		if out := mustRun(t, "--output", k, "version"); !strings.Contains(out, strings.TrimSpace(strings.TrimPrefix(driver(want), "Driver version:"))) {
			t.Errorf("dmctl --output %s version = %q, want the driver version", k, out)
		}
	}
}

// TestKernelEmptyList compares ls, info and status on a guest with no dm
// device at all; it skips when other devices exist.
func TestKernelEmptyList(t *testing.T) {
	dmtest.Require(t)
	if out := dmtest.Dmsetup(t, "ls"); out != "No devices found\n" {
		t.Skipf("devices exist: %q", out)
	}
	for _, args := range [][]string{{"ls"}, {"info"}, {"info", "-c"}, {"status"}, {"table"}, {"deps"}} {
		compareDmsetup(t, args...)
	}
}

// TestKernelNoTable compares the dmsetup output of a device created
// without a table.
func TestKernelNoTable(t *testing.T) {
	dmtest.Require(t)
	name := dmtest.Name(t) + "-notable"
	mustRun(t, "create", "--notable", name)
	for _, args := range [][]string{{"ls"}, {"info"}, {"info", name}, {"info", "-c"}, {"status", name},
		{"table", name}, {"status"}, {"table"}, {"table", "--inactive", name}} {
		compareDmsetup(t, args...)
	}
	_, errOut, _ := run(t, "--output", "dmsetup", "deps", name)
	if strings.Contains(errOut, "truncated reply") {
		// DM_TABLE_DEPS on a device without a table returns no
		// dm_target_deps at all; dmctl.Control.Deps must read that as no
		// dependencies.
		t.Fatalf("dmctl deps of a device without a table fails: %s", errOut)
	}
	compareDmsetup(t, "deps", name)
	compareDmsetup(t, "deps")
}
