//go:build linux

package dmctl_test

// Kernel tests of error identities: which errno the kernel gives for each
// failure, that dmctl keeps it (errors.Is) and adds the kernel's logged
// reason. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelErr ./dmctl

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelErrNoDevice checks that every per-device operation on a
// missing device fails with ENXIO matching ErrNoDevice.
func TestKernelErrNoDevice(t *testing.T) {
	c := dmtest.Require(t, "zero")
	name := dmtest.Name(t) + "-missing"
	second := func(_ any, err error) error { return err }
	third := func(_, _ any, err error) error { return err }
	tests := []struct {
		op  string
		err error
	}{
		{"Info", second(c.Info(name))},
		{"InfoByUUID", second(c.InfoByUUID("DMCTL-" + name))},
		{"InfoByDev", second(c.InfoByDev(dmctl.MakeDev(4095, 1<<19)))},
		{"Load", second(c.Load(name, zero(8), false))},
		{"ClearTable", second(c.ClearTable(name))},
		{"Suspend", second(c.Suspend(name, dmctl.SuspendOptions{}))},
		{"Resume", second(c.Resume(name))},
		{"Remove", second(c.Remove(name, dmctl.RemoveOptions{}))},
		{"Remove(deferred)", second(c.Remove(name, dmctl.RemoveOptions{Deferred: true}))},
		{"Remove(retry)", second(c.Remove(name, dmctl.RemoveOptions{Retry: true}))},
		{"Rename", c.Rename(name, name+"-2")},
		{"SetUUID", c.SetUUID(name, "DMCTL-x")},
		{"Status", third(c.Status(name, dmctl.StatusOptions{}))},
		{"Table", third(c.Table(name, dmctl.StatusOptions{}))},
		{"Deps", third(c.Deps(name))},
		{"Message", second(c.Message(name, 0, "@stats_list"))},
		{"Wait", second(c.Wait(name, 0))},
	}
	for _, tc := range tests {
		wantErrno(t, tc.op+"(missing)", tc.err, unix.ENXIO)
		if !errors.Is(tc.err, dmctl.ErrNoDevice) {
			t.Errorf("%s(missing) = %v, want it to match ErrNoDevice", tc.op, tc.err)
		}
		if tc.err != nil && !strings.Contains(tc.err.Error(), "no such device") {
			t.Errorf("%s(missing).Error() = %q, want it to say no such device", tc.op, tc.err)
		}
	}
	// MakeNode of a missing device is not an error.
	if err := c.MakeNode(name); err != nil {
		t.Errorf("MakeNode(missing) = %v, want nil", err)
	}
}

// TestKernelErrCreateExisting checks what the kernel says to a second
// device of the same name, or the same uuid: EBUSY (dm_hash_insert), not
// EEXIST.
func TestKernelErrCreateExisting(t *testing.T) {
	c := dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	uuid := "DMCTL-" + p
	info := mustCreate(t, c, p, uuid, zero(8), false)
	_, err := c.Create(p, "", false)
	wantErrno(t, "Create(existing name)", err, unix.EBUSY)
	_, err = c.Create(p+"-2", uuid, false)
	wantErrno(t, "Create(existing uuid)", err, unix.EBUSY)
	_, err = c.CreateDevice(p, "", zero(16), false)
	wantErrno(t, "CreateDevice(existing name)", err, unix.EBUSY)
	// The existing device is untouched, and no second one appeared.
	if got := checkDmsetup(t, c, p, true); !sameInfo(got, info) {
		t.Errorf("Info(%s) = %+v, want %+v", p, got, info)
	}
	checkGone(t, c, p+"-2")
}

// TestKernelErrBusy checks EBUSY when removing an open device, and that
// Retry waits for it to close.
func TestKernelErrBusy(t *testing.T) {
	c := dmtest.Require(t, "zero")
	name := dmtest.Name(t)
	mustCreate(t, c, name, "", zero(8), false)
	closeIt := openDevice(t, name)
	if info := checkDmsetup(t, c, name, true); info.OpenCount != 1 {
		t.Errorf("Info(%s).OpenCount = %d, want 1", name, info.OpenCount)
	}
	_, err := c.Remove(name, dmctl.RemoveOptions{})
	wantErrno(t, "Remove(open device)", err, unix.EBUSY)
	checkNode(t, name, mustInfo(t, c, name).Dev)

	// Retry: the device closes while Remove retries.
	go func() {
		time.Sleep(300 * time.Millisecond)
		closeIt()
	}()
	if _, err := c.Remove(name, dmctl.RemoveOptions{Retry: true}); err != nil {
		t.Fatalf("Remove(%s, retry) = %v", name, err)
	}
	checkGone(t, c, name)
}

// TestKernelErrBadTable checks that a table the kernel refuses gives
// EINVAL with the kernel's logged reason, and that CreateDevice leaves no
// device behind.
func TestKernelErrBadTable(t *testing.T) {
	c := dmtest.Require(t, "zero", "linear")
	p := dmtest.Name(t)
	tests := []struct {
		name    string
		targets []dmctl.Target
		errno   unix.Errno
		reason  string // in the kernel's log
	}{
		{"linear without args", []dmctl.Target{{0, 8, "linear", "bad"}}, unix.EINVAL, "Invalid argument count"},
		{"unknown target type", []dmctl.Target{{0, 8, "no-such-type", ""}}, unix.EINVAL, "no-such-type"},
		{"gap between targets", []dmctl.Target{{0, 8, "zero", ""}, {16, 8, "zero", ""}}, unix.EINVAL, "Gap in table"},
		// dm_get_device fails with ENODEV, which is not ErrNoDevice (ENXIO).
		{"missing device", []dmctl.Target{{0, 8, "linear", "/dev/no-such-disk 0"}}, unix.ENODEV, "Device lookup failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := p + "-" + strings.ReplaceAll(tc.name, " ", "_")
			if _, err := c.Create(name, "", false); err != nil {
				t.Fatalf("Create(%s) = %v", name, err)
			}
			info, err := c.Load(name, tc.targets, false)
			wantErrno(t, "Load("+tc.name+")", err, tc.errno)
			if errors.Is(err, dmctl.ErrNoDevice) {
				t.Errorf("Load(%s) = %v matches ErrNoDevice; the device exists", tc.name, err)
			}
			var e *dmctl.Error
			if errors.As(err, &e) && !strings.Contains(e.Kernel, tc.reason) {
				t.Errorf("Load(%s) = %v: Kernel = %q, want the kernel's reason (containing %q)", tc.name, err, e.Kernel, tc.reason)
			}
			if info.InactiveTable() {
				t.Errorf("Load(%s) = %+v, want no inactive table", tc.name, info)
			}
			if _, err := c.Remove(name, dmctl.RemoveOptions{}); err != nil {
				t.Fatalf("Remove(%s) = %v", name, err)
			}

			// CreateDevice rolls back: no device, no node.
			_, err = c.CreateDevice(name, "DMCTL-"+name, tc.targets, false)
			wantErrno(t, "CreateDevice("+tc.name+")", err, tc.errno)
			checkGone(t, c, name)
			if _, err := c.InfoByUUID("DMCTL-" + name); !errors.Is(err, dmctl.ErrNoDevice) {
				t.Errorf("InfoByUUID after failed CreateDevice = %v, want ErrNoDevice", err)
			}
		})
	}
	// The same name works afterwards.
	mustCreate(t, c, p+"-ok", "", zero(8), false)
}

// TestKernelErrNameChecks checks the longest name and uuid the kernel
// takes and the refusal of longer ones.
func TestKernelErrNameChecks(t *testing.T) {
	c := dmtest.Require(t)
	p := dmtest.Name(t)
	// A 127-byte name is the longest the kernel takes.
	long := p + "-" + strings.Repeat("x", 126-len(p))
	if _, err := c.Create(long, "", false); err != nil {
		t.Errorf("Create(127-byte name) = %v", err)
	}
	_, err := c.Create(long+"y", "", false)
	wantErrno(t, "Create(128-byte name)", err, unix.EINVAL)
	if len(dmtest.Dmsetup(t, "info", long)) == 0 {
		t.Errorf("dmsetup info of the 127-byte name: empty")
	}
	uuid := strings.Repeat("u", 128)
	if _, err := c.Create(p+"-u", uuid, false); err != nil {
		t.Errorf("Create(128-byte uuid) = %v", err)
	}
	_, err = c.Create(p+"-u2", uuid+"v", false)
	wantErrno(t, "Create(129-byte uuid)", err, unix.EINVAL)
}

// TestKernelErrReason checks that an error carries the reason the kernel
// logged for that very operation: present, and without the reasons logged
// for the operations that failed just before it.
func TestKernelErrReason(t *testing.T) {
	c := dmtest.Require(t, "linear", "zero")
	name := dmtest.Name(t)
	if _, err := c.Create(name, "", false); err != nil {
		t.Fatal(err)
	}
	reason := func(err error) string {
		var e *dmctl.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not an *Error", err)
		}
		return e.Kernel
	}
	for i := range 3 {
		_, err := c.Load(name, []dmctl.Target{{0, 8, "linear", "bad"}}, false)
		first := reason(err)
		if !strings.Contains(first, "Invalid argument count") {
			t.Errorf("round %d: Load(linear without args) = %v: Kernel = %q, want the kernel's reason", i, err, first)
		}
		_, err = c.Load(name, []dmctl.Target{{0, 8, "zero", ""}, {16, 8, "zero", ""}}, false)
		second := reason(err)
		if !strings.Contains(second, "Gap in table") || strings.Contains(second, "Invalid argument count") {
			t.Errorf("round %d: Load(gap) = %v: Kernel = %q, want the gap's reason only", i, err, second)
		}
	}
	// Messages fail fast, well within a millisecond of each other.
	mustCreate(t, c, name+"-z", "", zero(8), false)
	for i := range 3 {
		_, err := c.Message(name+"-z", 0, "hello")
		first := reason(err)
		if !strings.Contains(first, "does not support messages") {
			t.Errorf("round %d: Message(zero, hello) = %v: Kernel = %q, want the kernel's reason", i, err, first)
		}
		_, err = c.Message(name+"-z", 1<<20, "hello")
		second := reason(err)
		if !strings.Contains(second, "sector outside device") || strings.Contains(second, "does not support messages") {
			t.Errorf("round %d: Message(beyond the device) = %v: Kernel = %q, want its own reason only", i, err, second)
		}
	}
}
