//go:build linux

package dmctl_test

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// Functions shared by the kernel tests (kernel_test.go and the other
// *_kernel_test.go files). Every kernel test gets its Control from
// dmtest.Require, names its devices with dmtest.Name and compares what
// dmctl reports with what dmsetup, the oracle, reports.

// zero returns a one-target zero table of sectors sectors.
func zero(sectors uint64) []dmctl.Target {
	return []dmctl.Target{{Start: 0, Length: sectors, Type: "zero"}}
}

// mustCreate creates a device with a table (CreateDevice) or, with no
// targets, without one, failing the test on error.
func mustCreate(t testing.TB, c *dmctl.Control, name, uuid string, targets []dmctl.Target, readOnly bool) dmctl.DeviceInfo {
	t.Helper()
	info, err := c.CreateDevice(name, uuid, targets, readOnly)
	if err != nil {
		t.Fatalf("CreateDevice(%s, %q, %v, %v) = %v", name, uuid, targets, readOnly, err)
	}
	return info
}

// mustInfo returns the device's info, failing the test on error.
func mustInfo(t testing.TB, c *dmctl.Control, name string) dmctl.DeviceInfo {
	t.Helper()
	info, err := c.Info(name)
	if err != nil {
		t.Fatalf("Info(%s) = %v", name, err)
	}
	return info
}

// mustMessage sends a message to sector 0 and returns its output.
func mustMessage(t testing.TB, c *dmctl.Control, name, msg string) string {
	t.Helper()
	out, err := c.Message(name, 0, msg)
	if err != nil {
		t.Fatalf("Message(%s, 0, %q) = %v", name, msg, err)
	}
	return out
}

// dmsetupRow is one row of `dmsetup info -c`.
type dmsetupRow struct {
	name, uuid, attr string
	open, segments   int
	events           uint32
	dev              dmctl.Dev
}

const dmsetupInfoFields = "name,uuid,attr,open,segments,events,major,minor"

// dmsetupInfo asks dmsetup about one device.
func dmsetupInfo(t testing.TB, name string) dmsetupRow {
	t.Helper()
	out := strings.TrimSpace(dmtest.Dmsetup(t, "info", "-c", "--noheadings", "--separator", "|", "-o", dmsetupInfoFields, name))
	f := strings.Split(out, "|")
	if len(f) != 8 {
		t.Fatalf("dmsetup info %s = %q: want 8 fields", name, out)
	}
	n := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("dmsetup info %s = %q: bad number %q", name, out, s)
		}
		return v
	}
	return dmsetupRow{
		name: f[0], uuid: f[1], attr: f[2], open: n(f[3]), segments: n(f[4]),
		events: uint32(n(f[5])), dev: dmctl.MakeDev(uint32(n(f[6])), uint32(n(f[7]))),
	}
}

// attr renders info as dmsetup's attr column: live table, inactive table,
// suspended, read-only or writable.
func attr(info dmctl.DeviceInfo) string {
	b := []byte("---w")
	if info.LiveTable() {
		b[0] = 'L'
	}
	if info.InactiveTable() {
		b[1] = 'I'
	}
	if info.Suspended() {
		b[2] = 's'
	}
	if info.ReadOnly() {
		b[3] = 'r'
	}
	return string(b)
}

// tableLines renders targets as dmsetup prints them, less trailing
// blanks (the kernel ends some status and table texts with a space).
func tableLines(targets []dmctl.Target) []string {
	var out []string
	for _, tg := range targets {
		out = append(out, strings.TrimRight(tg.String(), " "))
	}
	return out
}

// sameInfo compares two infos of one device, ignoring the flag that only
// says whether the request sent a uevent (set by resume, not by status).
func sameInfo(a, b dmctl.DeviceInfo) bool {
	a.Flags &^= dmctl.FlagUeventGenerated
	b.Flags &^= dmctl.FlagUeventGenerated
	return a == b
}

// checkWriteRefused checks that writing to a read-only block device
// fails: the kernel lets it be opened for writing, and refuses the write
// (blkdev_write_iter: EPERM).
func checkWriteRefused(t testing.TB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return // refused at open: fine too
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, 512), 0); !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EROFS) {
		t.Errorf("write to read-only %s = %v, want EPERM", path, err)
	}
}

// outputLines splits dmsetup output into lines without trailing blanks.
func outputLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var devnoRE = regexp.MustCompile(`\((\d+)[:,] ?(\d+)\)`)

// parseDevnos finds the "(MAJ, MIN)" or "(MAJ:MIN)" pairs dmsetup prints.
func parseDevnos(t testing.TB, s string) []dmctl.Dev {
	t.Helper()
	var out []dmctl.Dev
	for _, m := range devnoRE.FindAllStringSubmatch(s, -1) {
		maj, _ := strconv.ParseUint(m[1], 10, 32)
		min, _ := strconv.ParseUint(m[2], 10, 32)
		out = append(out, dmctl.MakeDev(uint32(maj), uint32(min)))
	}
	return out
}

// checkDmsetup compares what dmctl reports about a device (info, live
// table, inactive table, deps, presence in the list) with what dmsetup
// reports. Status is compared too when withStatus is set (thin-pool status
// may change between two reads).
func checkDmsetup(t testing.TB, c *dmctl.Control, name string, withStatus bool) dmctl.DeviceInfo {
	t.Helper()
	info := mustInfo(t, c, name)
	row := dmsetupInfo(t, name)
	if row.name != info.Name || row.uuid != info.UUID || row.attr != attr(info) || row.open != int(info.OpenCount) ||
		row.segments != int(info.TargetCount) || row.events != info.EventNr || row.dev != info.Dev {
		t.Errorf("Info(%s) = %+v (attr %s); dmsetup info says %+v", name, info, attr(info), row)
	}
	if info.LiveTable() {
		_, table, err := c.Table(name, dmctl.StatusOptions{})
		if err != nil {
			t.Fatalf("Table(%s) = %v", name, err)
		}
		if got, want := tableLines(table), outputLines(dmtest.Dmsetup(t, "table", name)); !slices.Equal(got, want) {
			t.Errorf("Table(%s) = %q; dmsetup table says %q", name, got, want)
		}
		if withStatus {
			_, status, err := c.Status(name, dmctl.StatusOptions{})
			if err != nil {
				t.Fatalf("Status(%s) = %v", name, err)
			}
			if got, want := tableLines(status), outputLines(dmtest.Dmsetup(t, "status", name)); !slices.Equal(got, want) {
				t.Errorf("Status(%s) = %q; dmsetup status says %q", name, got, want)
			}
		}
		_, deps, err := c.Deps(name)
		if err != nil {
			t.Fatalf("Deps(%s) = %v", name, err)
		}
		if want := parseDevnos(t, dmtest.Dmsetup(t, "deps", "-o", "devno", name)); !slices.Equal(deps, want) {
			t.Errorf("Deps(%s) = %v; dmsetup deps says %v", name, deps, want)
		}
	}
	if info.InactiveTable() {
		_, table, err := c.Table(name, dmctl.StatusOptions{Inactive: true})
		if err != nil {
			t.Fatalf("Table(%s, inactive) = %v", name, err)
		}
		if got, want := tableLines(table), outputLines(dmtest.Dmsetup(t, "table", "--inactive", name)); !slices.Equal(got, want) {
			t.Errorf("Table(%s, inactive) = %q; dmsetup table --inactive says %q", name, got, want)
		}
	}
	ls := dmtest.Dmsetup(t, "ls")
	found := false
	for _, l := range outputLines(ls) {
		if f := strings.Fields(l); len(f) == 2 && f[0] == name {
			found = true
			if devs := parseDevnos(t, f[1]); len(devs) != 1 || devs[0] != info.Dev {
				t.Errorf("dmsetup ls: %q, want %s (%v)", l, name, info.Dev)
			}
		}
	}
	if !found {
		t.Errorf("dmsetup ls does not list %s:\n%s", name, ls)
	}
	return info
}

// checkGone checks that the device no longer exists, for dmctl and for
// dmsetup, and that its /dev/mapper node is gone.
func checkGone(t testing.TB, c *dmctl.Control, name string) {
	t.Helper()
	if info, err := c.Info(name); !errors.Is(err, dmctl.ErrNoDevice) || !errors.Is(err, unix.ENXIO) {
		t.Errorf("Info(%s) = %+v, %v; want ErrNoDevice", name, info, err)
	}
	if out, err := dmtest.RunDmsetup("info", name); err == nil && !strings.Contains(out, "not exist") {
		t.Errorf("dmsetup info %s = %q, want the device gone", name, out)
	}
	if _, err := os.Lstat(dmctl.NodePath(name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lstat(%s) = %v, want the node gone", dmctl.NodePath(name), err)
	}
}

// checkNode checks that /dev/mapper/<name> is a block node for dev.
func checkNode(t testing.TB, name string, dev dmctl.Dev) {
	t.Helper()
	got, ok, err := dmctl.IsBlockDevice(dmctl.NodePath(name))
	if err != nil || !ok || got != dev {
		t.Errorf("IsBlockDevice(%s) = %v, %v, %v; want %v, true", dmctl.NodePath(name), got, ok, err, dev)
	}
}

// openDevice opens the device's node and closes it when the test ends
// (or earlier, through the returned function).
func openDevice(t testing.TB, name string) func() {
	t.Helper()
	f, err := os.Open(dmctl.NodePath(name))
	if err != nil {
		t.Fatalf("open %s: %v", dmctl.NodePath(name), err)
	}
	var once sync.Once
	done := func() { once.Do(func() { f.Close() }) }
	t.Cleanup(done)
	return done
}

// eventually polls cond for up to 10 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantErrno checks that err is a *dmctl.Error matching errno.
func wantErrno(t testing.TB, what string, err error, errno unix.Errno) {
	t.Helper()
	var e *dmctl.Error
	if !errors.Is(err, errno) || !errors.As(err, &e) {
		t.Errorf("%s = %v, want an *Error matching %v (%d)", what, err, errno, int(errno))
	}
}
