//go:build linux

package dmctl_test

// Kernel tests of DM_LIST_DEVICES and its buffer protocol. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelList ./dmctl

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// TestKernelListBufferFull creates enough devices with long names and
// uuids that the reply of LIST_DEVICES needs more than the first 16 KiB
// buffer (and, with uuids, more than 32 KiB), and checks that List brings
// back every one of them, as dmsetup ls does.
func TestKernelListBufferFull(t *testing.T) {
	c := dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	const n = 300
	pad := strings.Repeat("x", 100-len(p))
	want := make([]dmctl.NameEntry, 0, n)
	bytesNeeded, bytesWithUUIDs := 0, 0
	for i := range n {
		name := fmt.Sprintf("%s-%s-%03d", p, pad, i)
		uuid := ""
		if i%2 == 0 {
			uuid = "DMCTL-" + strings.Repeat("u", 100) + fmt.Sprintf("-%03d", i)
		}
		info, err := c.CreateDevice(name, uuid, zero(8), false)
		if err != nil {
			t.Fatalf("CreateDevice(%s) = %v", name, err)
		}
		want = append(want, dmctl.NameEntry{Name: name, Dev: info.Dev, UUID: uuid})
		rec := (12 + len(name) + 1 + 7) &^ 7
		bytesNeeded += rec + 8
		bytesWithUUIDs += rec + 8 + (len(uuid)+1+7)&^7
	}
	if bytesNeeded <= 16<<10 || bytesWithUUIDs <= 32<<10 {
		t.Fatalf("the reply needs %d bytes (%d with uuids), not enough to overflow", bytesNeeded, bytesWithUUIDs)
	}
	t.Logf("LIST_DEVICES reply: %d bytes, %d with uuids", bytesNeeded, bytesWithUUIDs)

	check := func(opts dmctl.ListOptions, withUUID bool) {
		t.Helper()
		all, err := c.List(opts)
		if err != nil {
			t.Fatalf("List(%+v) = %v", opts, err)
		}
		var got []dmctl.NameEntry
		for _, e := range all {
			if strings.HasPrefix(e.Name, p) {
				e.EventNr = 0
				got = append(got, e)
			}
		}
		slices.SortFunc(got, func(a, b dmctl.NameEntry) int { return strings.Compare(a.Name, b.Name) })
		if len(got) != n {
			t.Fatalf("List(%+v) = %d of our devices, want %d", opts, len(got), n)
		}
		for i, w := range want {
			if !withUUID {
				w.UUID = ""
			}
			if got[i] != w {
				t.Errorf("List(%+v)[%d] = %+v, want %+v", opts, i, got[i], w)
			}
		}
	}
	check(dmctl.ListOptions{}, false)
	check(dmctl.ListOptions{UUIDs: true}, true)
	check(dmctl.ListOptions{NamePrefix: p}, false)
	check(dmctl.ListOptions{NamePrefix: p, UUIDs: true}, true)

	// dmsetup ls sees the same.
	var ls []string
	for _, l := range outputLines(dmtest.Dmsetup(t, "ls")) {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[0], p) {
			ls = append(ls, f[0])
		}
	}
	if len(ls) != n {
		t.Errorf("dmsetup ls lists %d of our devices, want %d", len(ls), n)
	}
}

// TestKernelList checks List's entries (event numbers, uuids, device
// numbers) and its prefix filter on a few devices.
func TestKernelList(t *testing.T) {
	c := dmtest.Require(t, "zero")
	p := dmtest.Name(t)
	a := mustCreate(t, c, p+"-a", "DMCTL-"+p+"-a", zero(8), false)
	b := mustCreate(t, c, p+"-b", "", zero(8), false)
	nt, err := c.Create(p+"-notable", "", false)
	if err != nil {
		t.Fatalf("Create(%s) = %v", p+"-notable", err)
	}
	// An event on a (rename raises one), so its event number is 1.
	if err := c.Rename(p+"-a", p+"-a2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(p+"-a2", p+"-a"); err != nil {
		t.Fatal(err)
	}
	a = mustInfo(t, c, p+"-a")
	if a.EventNr == 0 {
		t.Errorf("Info(%s).EventNr = 0 after two renames, want > 0", p+"-a")
	}
	want := []dmctl.NameEntry{
		{Name: p + "-a", Dev: a.Dev, EventNr: a.EventNr, UUID: a.UUID},
		{Name: p + "-b", Dev: b.Dev},
		{Name: p + "-notable", Dev: nt.Dev},
	}
	for _, opts := range []dmctl.ListOptions{{UUIDs: true}, {}, {NamePrefix: p}, {NamePrefix: p + "-", UUIDs: true}} {
		all, err := c.List(opts)
		if err != nil {
			t.Fatalf("List(%+v) = %v", opts, err)
		}
		var got []dmctl.NameEntry
		for _, e := range all {
			if strings.HasPrefix(e.Name, p) {
				got = append(got, e)
			}
		}
		if opts.NamePrefix != "" && len(got) != len(all) {
			t.Errorf("List(%+v) = %d devices, %d of them ours: the prefix did not filter", opts, len(all), len(got))
		}
		slices.SortFunc(got, func(a, b dmctl.NameEntry) int { return strings.Compare(a.Name, b.Name) })
		for i := range want {
			w := want[i]
			if !opts.UUIDs {
				w.UUID = ""
			}
			if i >= len(got) || got[i] != w {
				t.Errorf("List(%+v) = %+v, want %+v", opts, got, want)
				break
			}
		}
	}
	if got, err := c.List(dmctl.ListOptions{NamePrefix: p + "-zzz"}); err != nil || len(got) != 0 {
		t.Errorf("List(prefix matching nothing) = %+v, %v; want none", got, err)
	}
}

// TestKernelTableBufferFull loads a table of 1000 targets, whose table and
// status replies need more than the first 16 KiB buffer, and reads them
// back whole.
func TestKernelTableBufferFull(t *testing.T) {
	c := dmtest.Require(t, "zero", "error")
	name := dmtest.Name(t)
	var targets []dmctl.Target
	for i := range 1000 {
		typ := "zero"
		if i%2 == 1 {
			typ = "error"
		}
		targets = append(targets, dmctl.Target{Start: uint64(i) * 8, Length: 8, Type: typ})
	}
	info := mustCreate(t, c, name, "", targets, false)
	if info.TargetCount != 1000 {
		t.Errorf("CreateDevice(%s) = %+v, want 1000 targets", name, info)
	}
	for _, read := range []struct {
		what string
		f    func(string, dmctl.StatusOptions) (dmctl.DeviceInfo, []dmctl.Target, error)
	}{{"Table", c.Table}, {"Status", c.Status}} {
		_, got, err := read.f(name, dmctl.StatusOptions{})
		if err != nil || !slices.Equal(got, targets) {
			t.Errorf("%s(%s) = %d targets, %v; want the 1000 loaded", read.what, name, len(got), err)
		}
	}
	if got := len(outputLines(dmtest.Dmsetup(t, "table", name))); got != 1000 {
		t.Errorf("dmsetup table %s: %d lines, want 1000", name, got)
	}
}
