//go:build linux

package commands_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// dmState is what dmsetup reports of one device.
type dmState struct {
	exists bool
	uuid   string
	attr   string // dmsetup's Stat column: L/I/s/r-w, e.g. "L--w"
	open   string
	table  string // the live table, as dmsetup table prints it
}

// dmOracle asks dmsetup about name.
func dmOracle(t *testing.T, name string) dmState {
	t.Helper()
	out, err := dmtest.RunDmsetup("info", "-c", "--noheadings", "--separator", ";", "-o", "name,uuid,attr,open", name)
	if err != nil {
		if strings.Contains(err.Error(), "not exist") || strings.Contains(err.Error(), "No such device") {
			return dmState{}
		}
		t.Fatalf("dmsetup info %s: %v", name, err)
	}
	f := strings.Split(strings.TrimSpace(out), ";")
	if len(f) != 4 || f[0] != name {
		t.Fatalf("dmsetup info %s = %q", name, out)
	}
	s := dmState{exists: true, uuid: f[1], attr: f[2], open: f[3]}
	if f[2][0] == 'L' {
		s.table = dmtest.Dmsetup(t, "table", name)
	}
	return s
}

// wantState fails the test unless dmsetup reports name with the attr and
// live table given ("" table: not checked).
func wantState(t *testing.T, name, attr, table string) dmState {
	t.Helper()
	s := dmOracle(t, name)
	if !s.exists {
		t.Fatalf("dmsetup: %s does not exist, want attr %s", name, attr)
	}
	if s.attr != attr {
		t.Errorf("dmsetup: %s attr = %s, want %s", name, s.attr, attr)
	}
	if table != "" && s.table != table {
		t.Errorf("dmsetup table %s = %q, want %q", name, s.table, table)
	}
	return s
}

// wantGone fails the test if dmsetup still lists name.
func wantGone(t *testing.T, name string) {
	t.Helper()
	if strings.Contains(dmtest.Dmsetup(t, "ls"), name+"\t") {
		t.Errorf("dmsetup ls lists %s, want it gone", name)
	}
}

// wantFailure fails the test unless dmctl args exits code with one error
// line naming want.
func wantFailure(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	_, errOut, got := run(t, args...)
	if got != code {
		t.Errorf("dmctl %s = exit %d, want %d (stderr %q)", strings.Join(args, " "), got, code, errOut)
	}
	checkErrorLine(t, "dmctl "+strings.Join(args, " "), errOut)
	if !strings.Contains(errOut, want) {
		t.Errorf("dmctl %s: stderr = %q, want it to mention %q", strings.Join(args, " "), errOut, want)
	}
}

func TestKernelCreate(t *testing.T) {
	dmtest.Require(t, "zero", "error", "linear")
	p := dmtest.Name(t)
	loop := dmtest.LoopFile(t, 8<<20)

	mustRun(t, "create", "--table", "0 64 zero", p+"-flag")
	wantState(t, p+"-flag", "L--w", "0 64 zero \n")

	file := filepath.Join(t.TempDir(), "table")
	if err := os.WriteFile(file, []byte("# a comment\n0 32 zero\n32 32 error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "create", p+"-file", file)
	wantState(t, p+"-file", "L--w", "0 32 zero \n32 32 error \n")

	out, errOut, code := runIn(t, strings.NewReader("0 100 linear "+loop.Path+" 8\n"), "create", p+"-stdin")
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("dmctl create (stdin) = %d, %q, %q", code, out, errOut)
	}
	wantState(t, p+"-stdin", "L--w", fmt.Sprintf("0 100 linear %s 8\n", loop.Dev))

	mustRun(t, "create", "--uuid", "DMCTL-"+p, "--readonly", "--table", "0 8 zero", p+"-ro")
	if s := wantState(t, p+"-ro", "L--r", "0 8 zero \n"); s.uuid != "DMCTL-"+p {
		t.Errorf("dmsetup: uuid of %s = %q, want %q", p+"-ro", s.uuid, "DMCTL-"+p)
	}
	// Without a table, read-only has nothing to apply to: dmsetup makes
	// the same device.
	mustRun(t, "create", "-u", "DMCTL-"+p+"-2", "-r", "--notable", p+"-notable")
	dmtest.Dmsetup(t, "create", "-r", "--notable", p+"-notable-oracle")
	want := dmOracle(t, p+"-notable-oracle")
	if s := wantState(t, p+"-notable", want.attr, ""); s.uuid != "DMCTL-"+p+"-2" {
		t.Errorf("dmsetup: uuid of %s = %q", p+"-notable", s.uuid)
	}

	// Failures leave nothing behind.
	wantFailure(t, 1, p+"-flag", "create", "--table", "0 8 zero", p+"-flag")
	wantFailure(t, 1, "uuid", "create", "--uuid", "DMCTL-"+p, "--table", "0 8 zero", p+"-dupuuid")
	wantGone(t, p+"-dupuuid")
	wantFailure(t, 1, p+"-bad", "create", "--table", "0 8 linear /dev/no-such-disk 0", p+"-bad")
	wantGone(t, p+"-bad")
	wantFailure(t, 1, p+"-bad2", "create", "--table", "0 8 no-such-target", p+"-bad2")
	wantGone(t, p+"-bad2")
	wantFailure(t, 2, "", "create", "--table", "0 x zero", p+"-bad3")
	wantGone(t, p+"-bad3")
	wantFailure(t, 1, "", "create", p+"-bad4", filepath.Join(t.TempDir(), "missing"))
	wantGone(t, p+"-bad4")
}

func TestKernelLoadResumeClear(t *testing.T) {
	dmtest.Require(t, "zero", "error")
	p := dmtest.Name(t)
	name := p + "-a"
	mustRun(t, "create", "--table", "0 16 zero", name)

	mustRun(t, "load", "--table", "0 32 error", name)
	wantState(t, name, "LI-w", "0 16 zero \n")
	if out := mustRun(t, "--output", "dmsetup", "table", "--inactive", name); out != "0 32 error \n" {
		t.Errorf("dmctl table --inactive = %q, want %q", out, "0 32 error \n")
	}
	mustRun(t, "clear", name)
	wantState(t, name, "L--w", "0 16 zero \n")

	file := filepath.Join(t.TempDir(), "table")
	if err := os.WriteFile(file, []byte("0 48 error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "reload", name, file)
	wantState(t, name, "LI-w", "0 16 zero \n")
	mustRun(t, "resume", name)
	wantState(t, name, "L--w", "0 48 error \n")

	if _, errOut, code := runIn(t, strings.NewReader("0 8 zero\n"), "load", "--readonly", name); code != 0 {
		t.Fatalf("dmctl load --readonly (stdin) = %d, %q", code, errOut)
	}
	mustRun(t, "resume", name)
	wantState(t, name, "L--r", "0 8 zero \n")

	wantFailure(t, 1, p+"-missing", "load", "--table", "0 8 zero", p+"-missing")
	wantFailure(t, 1, p+"-missing", "resume", p+"-missing")
	wantFailure(t, 1, p+"-missing", "clear", p+"-missing")
	wantFailure(t, 1, name, "load", "--table", "0 8 no-such-target", name)
	wantState(t, name, "L--r", "0 8 zero \n")
}

func TestKernelSuspendResume(t *testing.T) {
	dmtest.Require(t, "zero", "linear")
	p := dmtest.Name(t)
	loop := dmtest.LoopFile(t, 8<<20)
	a, b := p+"-a", p+"-b"
	mustRun(t, "create", "--table", "0 16 zero", a)
	mustRun(t, "create", "--table", "0 64 linear "+loop.Path+" 0", b)

	mustRun(t, "suspend", a, b)
	wantState(t, a, "L-sw", "")
	wantState(t, b, "L-sw", "")
	mustRun(t, "resume", a, b)
	wantState(t, a, "L--w", "")
	wantState(t, b, "L--w", "")

	mustRun(t, "suspend", "--noflush", "--nolockfs", b)
	wantState(t, b, "L-sw", "")
	// A suspended device takes a new table; resume makes it live.
	mustRun(t, "load", "--table", "0 32 linear "+loop.Path+" 64", b)
	wantState(t, b, "LIsw", "")
	mustRun(t, "resume", b)
	wantState(t, b, "L--w", fmt.Sprintf("0 32 linear %s 64\n", loop.Dev))

	wantFailure(t, 1, p+"-missing", "suspend", p+"-missing")
	// One missing name does not stop the others.
	wantFailure(t, 1, p+"-missing", "suspend", p+"-missing", a)
	wantState(t, a, "L-sw", "")
	mustRun(t, "resume", a)
}

func TestKernelRemove(t *testing.T) {
	dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		mustRun(t, "create", "--table", "0 16 zero", p+"-"+s)
	}
	mustRun(t, "remove", p+"-a")
	wantGone(t, p+"-a")
	mustRun(t, "remove", p+"-b", p+"-c")
	wantGone(t, p+"-b")
	wantGone(t, p+"-c")
	mustRun(t, "remove", "--retry", p+"-d")
	wantGone(t, p+"-d")
	wantFailure(t, 1, p+"-a", "remove", p+"-a")
	wantFailure(t, 1, p+"-a", "remove", "--retry", p+"-a")

	// An open device: remove fails, --deferred schedules the removal for
	// the last close.
	name := p + "-e"
	f, err := os.Open("/dev/mapper/" + name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	wantFailure(t, 1, name, "remove", name)
	if s := wantState(t, name, "L--w", ""); s.open != "1" {
		t.Errorf("dmsetup: open count of %s = %s, want 1", name, s.open)
	}
	mustRun(t, "remove", "--deferred", name)
	if info := dmtest.Dmsetup(t, "info", name); !strings.Contains(info, "DEFERRED REMOVE") {
		t.Errorf("dmsetup info %s after remove --deferred:\n%s\nwant DEFERRED REMOVE", name, info)
	}
	compareDmsetup(t, "info", name)
	compareDmsetup(t, "info", "-c", name)
	if out := mustRun(t, "--output", "json", "info", name); !strings.Contains(out, `"deferred_remove": true`) {
		t.Errorf("dmctl --output json info %s = %s, want deferred_remove true", name, out)
	}
	f.Close()
	wantGone(t, name)
}

func TestKernelRenameSetUUID(t *testing.T) {
	dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	mustRun(t, "create", "--table", "0 16 zero", p+"-a")
	mustRun(t, "rename", p+"-a", p+"-b")
	wantGone(t, p+"-a")
	wantState(t, p+"-b", "L--w", "0 16 zero \n")
	if _, err := os.Stat("/dev/mapper/" + p + "-b"); err != nil {
		t.Errorf("node of the renamed device: %v", err)
	}
	if _, err := os.Stat("/dev/mapper/" + p + "-a"); err == nil {
		t.Errorf("node of the old name still exists")
	}
	mustRun(t, "rename", "--setuuid", "DMCTL-"+p, p+"-b")
	if s := dmOracle(t, p+"-b"); s.uuid != "DMCTL-"+p {
		t.Errorf("dmsetup: uuid = %q, want %q", s.uuid, "DMCTL-"+p)
	}
	compareDmsetup(t, "info", p+"-b")
	// A uuid, once set, cannot change.
	wantFailure(t, 1, p+"-b", "rename", "--setuuid", "DMCTL-other-"+p, p+"-b")
	mustRun(t, "create", "--table", "0 16 zero", p+"-c")
	wantFailure(t, 1, p+"-b", "rename", p+"-c", p+"-b")
	wantFailure(t, 1, p+"-missing", "rename", p+"-missing", p+"-d")
}

func TestKernelWaitVerb(t *testing.T) {
	dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	name := p + "-a"
	mustRun(t, "create", "--table", "0 16 zero", name)
	type result struct {
		out, errOut string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.out, r.errOut, r.code = run(t, "--output", "json", "wait", name)
		done <- r
	}()
	select {
	case r := <-done:
		t.Fatalf("dmctl wait returned before any event: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	// Rename raises an event.
	dmtest.Dmsetup(t, "rename", name, p+"-b")
	select {
	case r := <-done:
		if r.code != 0 || r.errOut != "" || !strings.Contains(r.out, `"event_nr": 1`) {
			t.Errorf("dmctl wait = %d, %q, %q; want event 1", r.code, r.out, r.errOut)
		}
	case <-time.After(10 * time.Second):
		dmtest.Dmsetup(t, "remove", p+"-b")
		t.Fatalf("dmctl wait still blocked 10s after a rename")
	}
	// A stale event number returns at once, in dmsetup's form.
	out := mustRun(t, "--output", "dmsetup", "wait", p+"-b", "0")
	if want := dmtest.Dmsetup(t, "info", p+"-b"); out != want {
		t.Errorf("dmctl --output dmsetup wait differs from dmsetup info (- dmsetup, + dmctl):\n%s", lineDiff(out, want))
	}
	wantFailure(t, 1, p+"-missing", "wait", p+"-missing")
	wantFailure(t, 2, "event", "wait", p+"-b", "x")
}

func TestKernelMknodes(t *testing.T) {
	dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	a, b := p+"-a", p+"-b"
	mustRun(t, "create", "--table", "0 16 zero", a)
	mustRun(t, "create", "--table", "0 16 zero", b)
	na, nb := "/dev/mapper/"+a, "/dev/mapper/"+b
	stale := "/dev/mapper/" + p + "-stale"
	fa, err := os.Stat(na)
	if err != nil {
		t.Fatalf("node of %s: %v", a, err)
	}
	if err := os.Remove(na); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "mknodes", a)
	if got, err := os.Stat(na); err != nil || got.Mode() != fa.Mode() {
		t.Errorf("after mknodes %s: %v, %v; want %v", a, got, err, fa.Mode())
	}
	// A node without its device is stale; a missing node is made.
	if err := os.Rename(nb, stale); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "mknodes")
	if _, err := os.Stat(nb); err != nil {
		t.Errorf("after mknodes: %v", err)
	}
	if _, err := os.Stat(stale); err == nil {
		os.Remove(stale)
		t.Errorf("after mknodes: stale node %s still exists", stale)
	}
	// dmsetup agrees: it has nothing left to fix.
	dmtest.Dmsetup(t, "mknodes")
	if _, err := os.Stat(na); err != nil {
		t.Errorf("after dmsetup mknodes: %v", err)
	}
	// Naming a missing device removes its stale node, as dmsetup does,
	// and is no error.
	if err := os.Rename(na, stale); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "mknodes", p+"-stale")
	if _, err := os.Stat(stale); err == nil {
		os.Remove(stale)
		t.Errorf("after mknodes %s: stale node still exists", p+"-stale")
	}
	if _, err := dmtest.RunDmsetup("mknodes", p+"-missing"); err != nil {
		t.Errorf("dmsetup mknodes %s = %v, want success", p+"-missing", err)
	}
	mustRun(t, "mknodes", p+"-missing")
}

// TestKernelRemoveAll runs remove_all, which removes every unused device
// of the machine: it must not run beside other tests' devices.
func TestKernelRemoveAll(t *testing.T) {
	dmtest.Require(t, "zero", "linear")
	p := dmtest.Name(t)
	mustRun(t, "create", "--table", "0 16 zero", p+"-a")
	mustRun(t, "create", "--table", "0 16 linear /dev/mapper/"+p+"-a 0", p+"-stacked")
	mustRun(t, "create", "--notable", p+"-notable")
	mustRun(t, "create", "--table", "0 16 zero", p+"-susp")
	mustRun(t, "suspend", p+"-susp")
	mustRun(t, "create", "--table", "0 16 zero", p+"-open")
	f, err := os.Open("/dev/mapper/" + p + "-open")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// An open device stays; --deferred marks it for removal at its last
	// close.
	_, errOut, code := run(t, "remove_all")
	t.Logf("dmctl remove_all with an open device: exit %d, %q", code, errOut)
	wantState(t, p+"-open", "L--w", "")
	mustRun(t, "remove_all", "--deferred")
	if info := dmtest.Dmsetup(t, "info", p+"-open"); !strings.Contains(info, "DEFERRED REMOVE") {
		t.Errorf("dmsetup info %s after remove_all --deferred:\n%s\nwant DEFERRED REMOVE", p+"-open", info)
	}
	f.Close()
	wantGone(t, p+"-open")
	// Whatever is left is in use.
	out := dmtest.Dmsetup(t, "info", "-c", "--noheadings", "--separator", ";", "-o", "name,open")
	if out == "No devices found\n" {
		return
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, p) || strings.HasSuffix(l, ";0") {
			t.Errorf("dmsetup info -c after remove_all: %q left", l)
		}
	}
}

// TestKernelErrors checks exit code 1 and one error line for operations on
// missing devices, in-process and as a separate process.
func TestKernelErrors(t *testing.T) {
	dmtest.Require(t)
	missing := dmtest.Name(t) + "-missing"
	for _, verb := range []string{"info", "status", "table", "deps", "remove", "resume", "suspend", "clear"} {
		wantFailure(t, 1, missing, verb, missing)
	}
	// With --output dmsetup, dmsetup's words (TestKernelDmsetupErrors
	// compares them with dmsetup's own).
	_, errOut, code := run(t, "--output", "dmsetup", "info", missing)
	if code != 1 || errOut != "Device does not exist.\nCommand failed.\n" {
		t.Errorf("dmctl --output dmsetup info %s = exit %d, stderr %q; want dmsetup's words", missing, code, errOut)
	}
	wantFailure(t, 1, missing, "message", missing, "0", "hello")
	_, errOut, code = runProcess(t, "info", missing)
	if code != 1 {
		t.Errorf("dmctl info %s (process) = exit %d, want 1", missing, code)
	}
	checkErrorLine(t, "dmctl info (process)", errOut)
}
