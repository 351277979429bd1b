//go:build linux

package dmctl_test

// TestKernelCaptureReplies logs the raw data areas of real replies, in the
// format of testdata/replies/*.hex, between "=== capture NAME" and
// "=== end" lines. The unit tests in captured_linux_test.go decode those
// files. Refresh them with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelCaptureReplies ./dmctl
//
// and copy each block to testdata/replies/NAME.hex.

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

func TestKernelCaptureReplies(t *testing.T) {
	c := dmtest.Require(t, "linear", "striped", "zero", "error", "thin-pool", "thin")
	if !dmtest.Required() {
		t.Skipf("captures only in the test guest (%s=1), where no other device exists", dmtest.RequireEnv)
	}
	release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	kernel := fmt.Sprintf("ioctl %v, Linux %s", c.KernelVersion(), strings.TrimSpace(string(release)))
	p := dmtest.Name(t)

	capture := func(file, kind, name, arg string) {
		t.Helper()
		info, data, err := c.RawReply(kind, name, arg)
		if err != nil {
			t.Fatalf("RawReply(%s, %s, %s) = %v", kind, name, arg, err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# %s reply data area (%s %s), %s\n", kind, name, arg, kernel)
		fmt.Fprintf(&b, "# target_count %d flags %#x\n", info.TargetCount, uint32(info.Flags))
		b.WriteString(dmctl.HexLines(data))
		t.Logf("=== capture %s\n%s=== end", file, b.String())
	}

	// Devices named around the 8-byte boundary: the prefix plus 0..8 x's.
	for i := range 9 {
		name := p + "-" + strings.Repeat("x", i)
		uuid := ""
		if i%2 == 0 {
			uuid = fmt.Sprintf("DMCTL-%d", i)
		}
		mustCreate(t, c, name, uuid, zero(8), false)
	}
	if err := c.Rename(p+"-xx", p+"-xx-"); err != nil { // raises an event
		t.Fatal(err)
	}
	if err := c.Rename(p+"-xx-", p+"-xx"); err != nil {
		t.Fatal(err)
	}
	loop0 := dmtest.LoopFile(t, 8<<20)
	loop1 := dmtest.LoopFile(t, 8<<20)
	multi := p + "-multi"
	mustCreate(t, c, multi, "", []dmctl.Target{
		{0, 2048, "linear", loop0.Dev.String() + " 0"},
		{2048, 1024, "zero", ""},
		{3072, 8, "error", ""},
		{3080, 4096, "striped", "2 128 " + loop0.Dev.String() + " 2048 " + loop1.Dev.String() + " 0"},
	}, false)
	pool := newThinPool(t, c, p+"-pool", 64<<20, "1 skip_block_zeroing")
	thin := p + "-thin"
	pool.newThin(t, c, thin, 1, 2048)
	writeAt(t, dmctl.NodePath(thin), 0, 64<<10)
	mustMessage(t, c, multi, "@stats_create - /2")

	capture("list", "list", "", "")
	capture("list-uuids", "list-uuids", "", "")
	capture("status-multi", "status", multi, "")
	capture("table-multi", "table", multi, "")
	capture("status-pool", "status", pool.name, "")
	capture("table-pool", "table", pool.name, "")
	capture("status-thin", "status", thin, "")
	capture("deps-multi", "deps", multi, "")
	capture("deps-pool", "deps", pool.name, "")
	capture("deps-zero", "deps", p+"-", "")
	capture("versions", "versions", "", "")
	capture("target-version-thin-pool", "target-version", "", "thin-pool")
	capture("message-stats-list", "message", multi, "@stats_list")
	capture("wait-multi", "wait", multi, "999")
	t.Logf("devices: loop0 %v loop1 %v pool %v meta %v data %v", loop0.Dev, loop1.Dev, pool.info.Dev, pool.meta.Dev, pool.data.Dev)
}
