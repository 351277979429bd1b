//go:build linux

package dmctl_test

// Kernel tests: they drive a real device-mapper and compare what dmctl
// reports with dmsetup's view. Without root and device-mapper they skip
// (and fail instead under DMCTL_REQUIRE_KERNEL=1). Run them by hand in a
// QEMU guest with
//
//	make vmtest
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernel ./dmctl

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelVersion checks Open, KernelVersion and Version against
// dmsetup's "Driver version".
func TestKernelVersion(t *testing.T) {
	c := dmtest.Require(t)
	v, err := c.Version()
	if err != nil {
		t.Fatalf("Version() = %v", err)
	}
	if v != c.KernelVersion() {
		t.Errorf("Version() = %v, KernelVersion() = %v; want equal", v, c.KernelVersion())
	}
	if v[0] != 4 || !v.AtLeast(4, 37, 0) {
		t.Errorf("Version() = %v, want 4.37 or later", v)
	}
	out := dmtest.Dmsetup(t, "version")
	if !strings.Contains(out, "Driver version:    "+v.String()) {
		t.Errorf("Version() = %v; dmsetup version says:\n%s", v, out)
	}
	// A second Control works beside the first.
	c2, err := dmctl.Open()
	if err != nil {
		t.Fatalf("second Open() = %v", err)
	}
	if err := c2.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := c2.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

// TestKernelTargetVersions checks TargetVersions and TargetVersion against
// dmsetup targets.
func TestKernelTargetVersions(t *testing.T) {
	c := dmtest.Require(t, "linear", "striped", "zero", "error", "thin-pool", "thin")
	list, err := c.TargetVersions()
	if err != nil {
		t.Fatalf("TargetVersions() = %v", err)
	}
	want := map[string]string{}
	re := regexp.MustCompile(`^(\S+)\s+v(\d+\.\d+\.\d+)$`)
	for _, l := range outputLines(dmtest.Dmsetup(t, "targets")) {
		if m := re.FindStringSubmatch(l); m != nil {
			want[m[1]] = m[2]
		}
	}
	got := map[string]string{}
	for _, v := range list {
		got[v.Name] = v.Version.String()
	}
	if len(got) != len(want) {
		t.Errorf("TargetVersions() = %v; dmsetup targets says %v", got, want)
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("TargetVersions()[%s] = %q; dmsetup targets says %q", name, got[name], v)
		}
	}
	for _, name := range []string{"linear", "thin-pool", "thin", "zero"} {
		tv, err := c.TargetVersion(name)
		if err != nil || tv.Name != name || tv.Version.String() != want[name] {
			t.Errorf("TargetVersion(%s) = %+v, %v; want version %s", name, tv, err, want[name])
		}
	}
	_, err = c.TargetVersion("no-such-target")
	wantErrno(t, "TargetVersion(no-such-target)", err, unix.EINVAL)
}

// TestKernelDeviceKinds creates devices of many kinds and checks each
// against dmsetup, its node and its size, then removes it.
func TestKernelDeviceKinds(t *testing.T) {
	c := dmtest.Require(t, "linear", "striped", "zero", "error")
	loop0 := dmtest.LoopFile(t, 8<<20)
	loop1 := dmtest.LoopFile(t, 8<<20)
	p := dmtest.Name(t)
	base := p + "-base"
	baseInfo := mustCreate(t, c, base, "", []dmctl.Target{{Start: 0, Length: 4096, Type: "linear", Params: loop0.Dev.String() + " 0"}}, false)
	l0, l1 := loop0.Dev.String(), loop1.Dev.String()
	tests := []struct {
		name     string
		uuid     string
		targets  []dmctl.Target
		readOnly bool
		deps     []dmctl.Dev
	}{
		{"linear", "", []dmctl.Target{{0, 8192, "linear", l0 + " 8192"}}, false, []dmctl.Dev{loop0.Dev}},
		{"zero", "", zero(1 << 30), false, nil},
		{"error", "", []dmctl.Target{{0, 100, "error", ""}}, false, nil},
		{"striped", "", []dmctl.Target{{0, 16384, "striped", "2 128 " + l0 + " 0 " + l1 + " 0"}}, false, []dmctl.Dev{loop1.Dev, loop0.Dev}},
		{"uuid", "DMCTL-TEST-" + strings.Repeat("u", 100), zero(8), false, nil},
		{"read-only", "", []dmctl.Target{{0, 2048, "linear", l1 + " 0"}}, true, []dmctl.Dev{loop1.Dev}},
		{"several targets", "", []dmctl.Target{
			{0, 2048, "linear", l0 + " 10000"},
			{2048, 1024, "zero", ""},
			{3072, 8, "error", ""},
			{3080, 2048, "linear", l1 + " 2048"},
		}, false, []dmctl.Dev{loop1.Dev, loop0.Dev}},
		{"stacked", "", []dmctl.Target{{0, 2048, "linear", baseInfo.Dev.String() + " 1024"}}, false, []dmctl.Dev{baseInfo.Dev}},
		{"long name " + strings.Repeat("n", 127-len(p)-11), "", zero(8), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := p + "-" + strings.ReplaceAll(tc.name, " ", "_")
			info := mustCreate(t, c, name, tc.uuid, tc.targets, tc.readOnly)
			if info.Name != name || info.UUID != tc.uuid || !info.LiveTable() || info.InactiveTable() || info.Suspended() ||
				info.ReadOnly() != tc.readOnly || info.TargetCount != uint32(len(tc.targets)) {
				t.Errorf("CreateDevice(%s) = %+v", name, info)
			}
			got := checkDmsetup(t, c, name, true)
			if !sameInfo(got, info) {
				t.Errorf("Info(%s) = %+v, want %+v as CreateDevice said", name, got, info)
			}
			_, table, err := c.Table(name, dmctl.StatusOptions{})
			if err != nil || !slices.Equal(table, tc.targets) {
				t.Errorf("Table(%s) = %v, %v; want %v", name, table, err, tc.targets)
			}
			_, deps, err := c.Deps(name)
			slices.Sort(deps)
			slices.Sort(tc.deps)
			if err != nil || !slices.Equal(deps, tc.deps) && len(deps)+len(tc.deps) > 0 {
				t.Errorf("Deps(%s) = %v, %v; want %v", name, deps, err, tc.deps)
			}
			checkNode(t, name, info.Dev)
			var sectors uint64
			for _, tg := range tc.targets {
				sectors += tg.Length
			}
			if size, err := dmctl.DeviceSize(dmctl.NodePath(name)); err != nil || size != sectors*512 {
				t.Errorf("DeviceSize(%s) = %d, %v; want %d", name, size, err, sectors*512)
			}
			if tc.uuid != "" {
				if byUUID, err := c.InfoByUUID(tc.uuid); err != nil || !sameInfo(byUUID, info) {
					t.Errorf("InfoByUUID(%s) = %+v, %v; want %+v", tc.uuid, byUUID, err, info)
				}
			}
			if byDev, err := c.InfoByDev(info.Dev); err != nil || !sameInfo(byDev, info) {
				t.Errorf("InfoByDev(%v) = %+v, %v; want %+v", info.Dev, byDev, err, info)
			}
			if tc.readOnly {
				checkWriteRefused(t, dmctl.NodePath(name))
			}
			if _, err := c.Remove(name, dmctl.RemoveOptions{}); err != nil {
				t.Fatalf("Remove(%s) = %v", name, err)
			}
			checkGone(t, c, name)
		})
	}
}

// TestKernelLifecycle walks one device through create without a table,
// load (inactive table), resume, suspend with and without flush, reload,
// clear and remove, checking each state against dmsetup.
func TestKernelLifecycle(t *testing.T) {
	c := dmtest.Require(t, "zero", "error")
	name := dmtest.Name(t)

	info, err := c.Create(name, "", false)
	if err != nil {
		t.Fatalf("Create(%s) = %v", name, err)
	}
	// A new device has no table and is not suspended (dmsetup: ACTIVE).
	if info.LiveTable() || info.InactiveTable() || info.Suspended() || info.TargetCount != 0 || info.Dev == 0 {
		t.Errorf("Create(%s) = %+v, want no table, not suspended, and a device number", name, info)
	}
	checkDmsetup(t, c, name, false)
	if _, err := os.Lstat(dmctl.NodePath(name)); err == nil {
		t.Errorf("Create(%s) made %s before any table", name, dmctl.NodePath(name))
	}

	info, err = c.Load(name, zero(2048), false)
	if err != nil || !info.InactiveTable() || info.LiveTable() {
		t.Fatalf("Load(%s) = %+v, %v; want an inactive table only", name, info, err)
	}
	checkDmsetup(t, c, name, false)
	_, table, err := c.Table(name, dmctl.StatusOptions{Inactive: true})
	if err != nil || !slices.Equal(table, zero(2048)) {
		t.Errorf("Table(%s, inactive) = %v, %v; want %v", name, table, err, zero(2048))
	}
	_, status, err := c.Status(name, dmctl.StatusOptions{Inactive: true})
	if err != nil || len(status) != 1 || status[0].Type != "zero" {
		t.Errorf("Status(%s, inactive) = %v, %v; want one zero target", name, status, err)
	}
	_, table, err = c.Table(name, dmctl.StatusOptions{})
	if err != nil || len(table) != 0 {
		t.Errorf("Table(%s) with no live table = %v, %v; want none", name, table, err)
	}

	info, err = c.Resume(name)
	if err != nil || !info.LiveTable() || info.InactiveTable() || info.Suspended() {
		t.Fatalf("Resume(%s) = %+v, %v; want live and running", name, info, err)
	}
	checkDmsetup(t, c, name, true)
	checkNode(t, name, info.Dev)

	for _, opts := range []dmctl.SuspendOptions{{}, {NoFlush: true}, {NoLockFS: true}, {NoFlush: true, NoLockFS: true}} {
		info, err = c.Suspend(name, opts)
		if err != nil || !info.Suspended() {
			t.Fatalf("Suspend(%s, %+v) = %+v, %v; want suspended", name, opts, info, err)
		}
		checkDmsetup(t, c, name, true)
		// Suspending a suspended device is a no-op.
		if info, err = c.Suspend(name, opts); err != nil || !info.Suspended() {
			t.Errorf("Suspend(%s, %+v) again = %+v, %v", name, opts, info, err)
		}
		if info, err = c.Resume(name); err != nil || info.Suspended() {
			t.Fatalf("Resume(%s) = %+v, %v; want running", name, info, err)
		}
	}

	// Reload: a bigger table, several targets, inactive until resumed.
	bigger := []dmctl.Target{{0, 2048, "zero", ""}, {2048, 2048, "error", ""}}
	if info, err = c.Load(name, bigger, false); err != nil || !info.InactiveTable() || !info.LiveTable() {
		t.Fatalf("Load(%s, bigger) = %+v, %v", name, info, err)
	}
	checkDmsetup(t, c, name, true)
	if info, err = c.ClearTable(name); err != nil || info.InactiveTable() || !info.LiveTable() {
		t.Errorf("ClearTable(%s) = %+v, %v; want the live table only", name, info, err)
	}
	checkDmsetup(t, c, name, true)
	if _, err = c.Load(name, bigger, true); err != nil {
		t.Fatalf("Load(%s, bigger, read-only) = %v", name, err)
	}
	if info, err = c.Suspend(name, dmctl.SuspendOptions{}); err != nil {
		t.Fatalf("Suspend(%s) = %v", name, err)
	}
	if !info.InactiveTable() || !info.Suspended() {
		t.Errorf("Suspend(%s) = %+v, want suspended with an inactive table", name, info)
	}
	checkDmsetup(t, c, name, true)
	if info, err = c.Resume(name); err != nil || info.TargetCount != 2 || !info.ReadOnly() || info.InactiveTable() {
		t.Fatalf("Resume(%s) = %+v, %v; want 2 targets, read-only", name, info, err)
	}
	checkDmsetup(t, c, name, true)
	if size, err := dmctl.DeviceSize(dmctl.NodePath(name)); err != nil || size != 4096*512 {
		t.Errorf("DeviceSize(%s) = %d, %v; want %d", name, size, err, 4096*512)
	}

	if info, err = c.Remove(name, dmctl.RemoveOptions{}); err != nil {
		t.Fatalf("Remove(%s) = %v", name, err)
	}
	if info.DeferredRemove() {
		t.Errorf("Remove(%s) = %+v, want no deferred removal", name, info)
	}
	checkGone(t, c, name)
}

// TestKernelCreateNoTableResume checks Resume of a device that has never
// had a table: the kernel accepts it, the device stays tableless, and
// /dev/mapper gets a node exactly when dmsetup (libdm's fallback without
// udev) would make one for the same sequence.
func TestKernelCreateNoTableResume(t *testing.T) {
	c := dmtest.Require(t)
	p := dmtest.Name(t)
	ours, theirs := p+"-dmctl", p+"-dmsetup"
	if _, err := c.CreateDevice(ours, "", nil, false); err != nil {
		t.Fatalf("CreateDevice(%s, no table) = %v", ours, err)
	}
	info, err := c.Resume(ours)
	if err != nil || info.LiveTable() {
		t.Fatalf("Resume(%s) = %+v, %v; want success and no table", ours, info, err)
	}
	checkDmsetup(t, c, ours, false)
	dmtest.Dmsetup(t, "create", "--notable", theirs)
	dmtest.Dmsetup(t, "resume", theirs)
	_, errOurs := os.Lstat(dmctl.NodePath(ours))
	_, errTheirs := os.Lstat(dmctl.NodePath(theirs))
	if (errOurs == nil) != (errTheirs == nil) {
		t.Errorf("after create and resume without table: %s exists = %v, but dmsetup's %s exists = %v",
			dmctl.NodePath(ours), errOurs == nil, dmctl.NodePath(theirs), errTheirs == nil)
	}
}

// TestKernelRenameSetUUID renames a device and gives it a uuid, checking
// the node follows and the kernel's refusals.
func TestKernelRenameSetUUID(t *testing.T) {
	c := dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	a, b, other := p+"-a", p+"-b", p+"-other"
	info := mustCreate(t, c, a, "", zero(8), false)
	mustCreate(t, c, other, "", zero(8), false)
	checkNode(t, a, info.Dev)

	if err := c.Rename(a, b); err != nil {
		t.Fatalf("Rename(%s, %s) = %v", a, b, err)
	}
	if _, err := c.Info(a); !errors.Is(err, dmctl.ErrNoDevice) {
		t.Errorf("Info(%s) after rename = %v, want ErrNoDevice", a, err)
	}
	got := checkDmsetup(t, c, b, true)
	if got.Dev != info.Dev {
		t.Errorf("Info(%s).Dev = %v, want %v (same device)", b, got.Dev, info.Dev)
	}
	checkNode(t, b, info.Dev)
	if _, err := os.Lstat(dmctl.NodePath(a)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lstat(%s) after rename = %v, want gone", dmctl.NodePath(a), err)
	}
	// The kernel refuses a name in use with EBUSY.
	wantErrno(t, fmt.Sprintf("Rename(%s, %s)", b, other), c.Rename(b, other), unix.EBUSY)
	wantErrno(t, fmt.Sprintf("Rename(%s, ...) of a missing device", a), c.Rename(a, p+"-c"), unix.ENXIO)

	uuid := "DMCTL-" + p
	if err := c.SetUUID(b, uuid); err != nil {
		t.Fatalf("SetUUID(%s, %s) = %v", b, uuid, err)
	}
	if got := checkDmsetup(t, c, b, true); got.UUID != uuid {
		t.Errorf("Info(%s).UUID = %q, want %q", b, got.UUID, uuid)
	}
	if got, err := c.InfoByUUID(uuid); err != nil || got.Name != b {
		t.Errorf("InfoByUUID(%s) = %+v, %v; want %s", uuid, got, err, b)
	}
	// A uuid is set once; another device cannot take it either.
	wantErrno(t, "SetUUID of a device that has one", c.SetUUID(b, uuid+"-2"), unix.EINVAL)
	wantErrno(t, "SetUUID to a uuid in use", c.SetUUID(other, uuid), unix.EBUSY)
	// Rename keeps the uuid.
	if err := c.Rename(b, a); err != nil {
		t.Fatalf("Rename(%s, %s) = %v", b, a, err)
	}
	if got := mustInfo(t, c, a); got.UUID != uuid {
		t.Errorf("Info(%s).UUID after rename = %q, want %q", a, got.UUID, uuid)
	}
	checkNode(t, a, info.Dev)
}

// TestKernelMessage sends messages with and without output: dm core's
// @stats_create answers with a region id and @stats_list with a listing.
func TestKernelMessage(t *testing.T) {
	c := dmtest.Require(t, "zero")
	name := dmtest.Name(t)
	mustCreate(t, c, name, "", zero(2048), false)
	if out := mustMessage(t, c, name, "@stats_create - /1"); strings.TrimSpace(out) != "0" {
		t.Errorf("Message(@stats_create - /1) = %q, want region 0", out)
	}
	out := mustMessage(t, c, name, "@stats_list")
	want := dmtest.Dmsetup(t, "message", name, "0", "@stats_list")
	if out == "" || strings.TrimSpace(out) != strings.TrimSpace(want) {
		t.Errorf("Message(@stats_list) = %q; dmsetup message says %q", out, want)
	}
	if out := mustMessage(t, c, name, "@stats_delete 0"); out != "" {
		t.Errorf("Message(@stats_delete 0) = %q, want no output", out)
	}
	if out := mustMessage(t, c, name, "@stats_list"); out != "" {
		t.Errorf("Message(@stats_list) with no region = %q, want no output", out)
	}
	// A message the target does not take: zero has no message method.
	_, err := c.Message(name, 0, "hello")
	wantErrno(t, "Message(zero, hello)", err, unix.EINVAL)
	// dm core's messages ignore the sector; a target's need one inside
	// the table.
	if _, err = c.Message(name, 1<<40, "@stats_list"); err != nil {
		t.Errorf("Message(@stats_list at a sector beyond the device) = %v", err)
	}
	_, err = c.Message(name, 1<<40, "hello")
	wantErrno(t, "Message(sector beyond the device)", err, unix.EINVAL)
}

// TestKernelRemoveAll runs DM_REMOVE_ALL, which removes every unused
// device of the machine: it runs only where the kernel is the test's own
// (DMCTL_REQUIRE_KERNEL=1, as in the QEMU guest).
func TestKernelRemoveAll(t *testing.T) {
	c := dmtest.Require(t, "zero")
	if !dmtest.Required() {
		t.Skipf("RemoveAll removes every device of the machine: runs only with %s=1", dmtest.RequireEnv)
	}
	p := dmtest.Name(t)
	for _, s := range []string{"-a", "-b", "-open"} {
		mustCreate(t, c, p+s, "", zero(8), false)
	}
	closeOpen := openDevice(t, p+"-open")
	if err := c.RemoveAll(false); err != nil {
		t.Fatalf("RemoveAll(false) = %v", err)
	}
	checkGone(t, c, p+"-a")
	checkGone(t, c, p+"-b")
	if info := mustInfo(t, c, p+"-open"); info.DeferredRemove() {
		t.Errorf("Info(%s) after RemoveAll(false) = %+v, want no deferred removal", p+"-open", info)
	}
	if err := c.RemoveAll(true); err != nil {
		t.Fatalf("RemoveAll(true) = %v", err)
	}
	if info := mustInfo(t, c, p+"-open"); !info.DeferredRemove() {
		t.Errorf("Info(%s) after RemoveAll(true) = %+v, want a deferred removal", p+"-open", info)
	}
	closeOpen()
	eventually(t, "open device removed at its last close", func() bool {
		_, err := c.Info(p + "-open")
		return errors.Is(err, dmctl.ErrNoDevice)
	})
}
