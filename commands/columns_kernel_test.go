//go:build linux

package commands_test

// Kernel tests of the columns for scripts: info -c with dmsetup's -o,
// --noheadings, --separator and --nameprefixes against dmsetup byte for
// byte; device selection by -u and -j/-m; table --concise and --showkeys;
// dmsetup's words for errors; every segment of a multi-segment device in
// status. Run by hand with:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run 'InfoColumns|Select|MultiSegment|DmsetupErrors' ./commands

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// compareBoth runs dmctl ARGS (as people would, with the default output)
// and dmctl --output dmsetup ARGS, and fails unless both print what dmsetup
// ARGS prints.
func compareBoth(t *testing.T, args ...string) {
	t.Helper()
	want := dmtest.Dmsetup(t, args...)
	for _, prefix := range [][]string{nil, {"--output", "dmsetup"}} {
		full := append(prefix[:len(prefix):len(prefix)], args...)
		got, errOut, code := run(t, full...)
		if code != 0 || errOut != "" {
			t.Errorf("dmctl %s = exit %d, stderr %q", strings.Join(full, " "), code, errOut)
		}
		if got != want {
			t.Errorf("dmctl %s differs from dmsetup (- dmsetup, + dmctl):\n%s", strings.Join(full, " "), lineDiff(got, want))
		}
	}
}

// TestKernelInfoColumns compares dmctl info -c with dmsetup info -c under
// every layout switch, on devices of many kinds (a uuid, read-only,
// suspended, an inactive table, a pool and its thin device, a stacked
// device).
func TestKernelInfoColumns(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{
		{"info", "-c"},
		{"info", "-c", "--noheadings"},
		{"info", "-c", "--separator", ":"},
		{"info", "-c", "--separator", " | "},
		{"info", "-c", "-o", "name,uuid,attr"},
		{"info", "-c", "-o", "name,uuid,attr", "--noheadings"},
		{"info", "-c", "-o", "name,major,minor", "--noheadings", "--separator", ","},
		{"info", "-c", "-o", "+devno,blkdevname"},
		{"info", "-c", "-o", ",Name,,Dev_No,ATTR"},
		{"info", "-c", "-o", "name,tables_loaded,suspended,readonly,read_ahead,open,segments,events"},
		{"info", "-c", "-o", "name,device_count,devs_used,devnos_used,blkdevs_used"},
		{"info", "-c", "-o", "name,device_ref_count,names_using_dev,devnos_using_dev"},
		{"info", "-c", "-o", "name,subsystem,vg_name,lv_name,lv_layer"},
		{"info", "-c", "-o", "name,mangled_name,unmangled_name,uuid,mangled_uuid,unmangled_uuid"},
		{"info", "-c", "-o", "name_all"},
		{"info", "-c", "-o", "info_all"},
		{"info", "-c", "--nameprefixes"},
		{"info", "-c", "--nameprefixes", "--noheadings"},
		{"info", "-c", f.dev("zero"), f.dev("pool")},
		{"info", "-c", "-o", "name,names_using_dev", "--noheadings", f.dev("pool")},
		{"info", "-c", "-u", "DMCTL-" + f.prefix + "-zero"},
		{"info", "-c", "-o", "name,uuid", "--noheadings", "--separator", ":", "-u", "DMCTL-" + f.prefix + "-inact"},
	} {
		compareBoth(t, args...)
	}
	// Flags after the names, and in any case, as dmsetup (getopt) takes
	// them: the same bytes.
	want := dmtest.Dmsetup(t, "info", "-c", "-o", "name,attr", "--noheadings", "--separator", ";", f.dev("zero"))
	if got := mustRun(t, "info", f.dev("zero"), "-c", "--separator", ";", "-o", "name,attr", "--noheadings"); got != want {
		t.Errorf("dmctl info NAME -c --separator ; -o name,attr --noheadings = %q, dmsetup %q", got, want)
	}
}

// TestKernelSelect names devices by uuid and by number, for reading and
// for removing, and checks dmctl's other dmsetup forms: table --concise,
// --showkeys, ls -o and deps -o.
func TestKernelSelect(t *testing.T) {
	f := newFixture(t)
	zero := f.dev("zero")
	uuid := "DMCTL-" + f.prefix + "-zero"
	info := dmtest.Dmsetup(t, "info", "-c", "--noheadings", "-o", "major,minor", zero)
	maj, min, _ := strings.Cut(strings.TrimSpace(info), ":")
	for _, args := range [][]string{
		{"info", "-u", uuid},
		{"info", "-j", maj, "-m", min},
		{"status", "-u", uuid},
		{"table", "-j", maj, "-m", min},
		{"deps", "-u", uuid},
		{"table", "--concise"},
		{"table", "--concise", f.dev("multi"), zero},
		{"table", "--showkeys", f.dev("linear")},
		{"ls", "-o", "blkdevname"},
		{"ls", "-o", "devname"},
		{"deps", "-o", "devname", f.dev("stacked")},
		{"deps", "-o", "blkdevname", f.dev("pool")},
	} {
		compareDmsetup(t, args...)
	}
	var js []struct {
		Name string `json:"name"`
	}
	decodeJSON(t, mustRun(t, "--output", "json", "status", "-j", maj, "-m", min), &js)
	if len(js) != 1 || js[0].Name != zero {
		t.Errorf("dmctl status -j %s -m %s = %+v, want %s", maj, min, js, zero)
	}
	// -u selects for the verbs that change devices too.
	mustRun(t, "suspend", "-u", uuid)
	if attr := strings.TrimSpace(dmtest.Dmsetup(t, "info", "-c", "--noheadings", "-o", "attr", zero)); attr != "L-sw" {
		t.Errorf("after suspend -u: attr %q, want L-sw", attr)
	}
	mustRun(t, "resume", "-u", uuid)
	mustRun(t, "remove", "-u", uuid)
	wantGone(t, zero)
}

// TestKernelRemoveForce removes a device that is held open: remove fails
// with EBUSY, remove -f makes its table fail I/O and, once the holder lets
// go, --retry removes it.
func TestKernelRemoveForce(t *testing.T) {
	dmtest.Require(t, "zero", "error")
	name := dmtest.Name(t) + "-busy"
	mustRun(t, "create", name, "--table", "0 64 zero")
	holder, err := os.Open("/dev/mapper/" + name)
	if err != nil {
		t.Fatal(err)
	}
	wantFailure(t, 1, "busy", "remove", name)
	// Still open: the table now fails all I/O, the removal fails.
	_, _, code := run(t, "remove", "-f", name)
	if code != 1 {
		t.Errorf("dmctl remove -f on an open device = exit %d, want 1", code)
	}
	if table := dmtest.Dmsetup(t, "table", name); table != "0 64 error \n" {
		t.Errorf("after remove -f, table = %q, want the error target", table)
	}
	if _, err := holder.Read(make([]byte, 512)); err == nil {
		t.Errorf("reading the device after remove -f succeeded, want an I/O error")
	}
	holder.Close()
	mustRun(t, "remove", "-f", "--retry", name)
	wantGone(t, name)
}

// TestKernelMultiSegmentStatus checks that status shows every segment of
// a device with several targets, in each form.
func TestKernelMultiSegmentStatus(t *testing.T) {
	dmtest.Require(t, "linear", "zero", "error")
	p := dmtest.Name(t)
	l1 := dmtest.LoopFile(t, 8<<20)
	l2 := dmtest.LoopFile(t, 8<<20)
	name := p + "-lv"
	mustRun(t, "create", name, "--table", fmt.Sprintf("0 2048 linear %s 0;2048 4096 linear %s 2048;6144 100 zero", l1.Path, l2.Path))
	out := mustRun(t, "status", name)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || strings.Contains(out, " | ") {
		t.Fatalf("dmctl status %s =\n%s\nwant a heading and 3 segment lines", name, out)
	}
	for i, want := range [][]string{{name, "linear", "0", "1.0MiB"}, {name, "linear", "2048", "2.0MiB"}, {name, "zero", "6144", "50KiB"}} {
		f := strings.Fields(lines[i+1])
		if len(f) < 5 || f[0] != want[0] || f[2] != want[1] || f[3] != want[2] || f[4] != want[3] {
			t.Errorf("dmctl status line %d = %q, want NAME MAJ:MIN %s %s %s ...", i+1, lines[i+1], want[1], want[2], want[3])
		}
	}
	got := mustRun(t, "status", name, "-o", "name,start,sectors,type", "--noheadings", "--separator", " ")
	if want := fmt.Sprintf("%[1]s 0 2048 linear\n%[1]s 2048 4096 linear\n%[1]s 6144 100 zero\n", name); got != want {
		t.Errorf("dmctl status -o name,start,sectors,type = %q, want %q", got, want)
	}
	var js []struct {
		SizeBytes uint64 `json:"size_bytes"`
		Targets   []struct {
			Start  uint64 `json:"start_sector"`
			Length uint64 `json:"length_sectors"`
			Type   string `json:"type"`
		} `json:"targets"`
	}
	decodeJSON(t, mustRun(t, "--output", "json", "status", name), &js)
	if len(js) != 1 || len(js[0].Targets) != 3 || js[0].Targets[1].Start != 2048 || js[0].Targets[2].Type != "zero" ||
		js[0].SizeBytes != 6244*512 {
		t.Errorf("dmctl --output json status %s = %+v, want 3 targets, %d bytes", name, js, 6244*512)
	}
	compareDmsetup(t, "status", name)
}

// dmsetupStderr runs dmsetup and returns its standard error and exit code.
func dmsetupStderr(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(requireTool(t, "dmsetup"), args...)
	cmd.Env = append(os.Environ(), "DM_DISABLE_UDEV=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return stderr.String(), cmd.ProcessState.ExitCode()
}

// TestKernelDmsetupErrors checks that under --output dmsetup dmctl's
// errors are dmsetup's words, and its exit code dmsetup's.
func TestKernelDmsetupErrors(t *testing.T) {
	dmtest.Require(t)
	missing := dmtest.Name(t) + "-missing"
	for _, args := range [][]string{
		{"info", missing},
		{"info", "-c", missing},
		{"status", missing},
		{"table", missing},
		{"deps", missing},
		{"remove", missing},
		{"suspend", missing},
		{"resume", missing},
		{"message", missing, "0", "x"},
		{"clear", missing},
		{"rename", missing, missing + "2"},
		// Selected by uuid or number: dmsetup names the device in the
		// verb's own ioctl error.
		{"info", "-u", "U-" + missing},
		{"status", "-u", "U-" + missing},
		{"table", "-u", "U-" + missing},
		{"deps", "-u", "U-" + missing},
		{"remove", "-u", "U-" + missing},
		{"suspend", "-u", "U-" + missing},
		{"resume", "-u", "U-" + missing},
		{"clear", "-u", "U-" + missing},
		{"message", "-u", "U-" + missing, "0", "x"},
		{"wait", "-u", "U-" + missing},
		{"info", "-j", "254", "-m", "4000"},
		{"table", "-j", "254", "-m", "4000"},
		{"remove", "-j", "254", "-m", "4000"},
	} {
		want, wantCode := dmsetupStderr(t, args...)
		_, got, code := run(t, append([]string{"--output", "dmsetup"}, args...)...)
		if got != want || code != wantCode {
			t.Errorf("dmctl --output dmsetup %s = exit %d, stderr %q; dmsetup: exit %d, %q",
				strings.Join(args, " "), code, got, wantCode, want)
		}
	}
}
