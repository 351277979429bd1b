//go:build linux

package dmctl_test

// Kernel tests of /dev/mapper nodes made without udev. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelNodes ./dmctl

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// requireNoUdev skips tests of dmctl's own node handling where udev makes
// the nodes.
func requireNoUdev(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/run/udev/control"); err == nil && os.Getenv("DM_DISABLE_UDEV") == "" {
		t.Skip("udev manages /dev/mapper here")
	}
}

// TestKernelNodes checks node creation on resume, removal on remove, and
// that MakeNode and MakeNodes fix a deleted node, a wrong node and a stale
// node.
func TestKernelNodes(t *testing.T) {
	c := dmtest.Require(t, "zero")
	requireNoUdev(t)
	p := dmtest.Name(t)
	a := mustCreate(t, c, p+"-a", "", zero(8), false)
	b := mustCreate(t, c, p+"-b", "", zero(8), false)
	checkNode(t, p+"-a", a.Dev)
	checkNode(t, p+"-b", b.Dev)

	// Deleted: MakeNode brings it back.
	if err := os.Remove(dmctl.NodePath(p + "-a")); err != nil {
		t.Fatal(err)
	}
	if err := c.MakeNode(p + "-a"); err != nil {
		t.Fatalf("MakeNode(%s) = %v", p+"-a", err)
	}
	checkNode(t, p+"-a", a.Dev)

	// Wrong device number, a regular file, a symlink elsewhere: MakeNodes
	// replaces them.
	if err := os.Remove(dmctl.NodePath(p + "-a")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(dmctl.NodePath(p+"-a"), unix.S_IFBLK|0o600, int(unix.Mkdev(b.Dev.Major(), b.Dev.Minor()))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dmctl.NodePath(p + "-b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", dmctl.NodePath(p+"-b")); err != nil {
		t.Fatal(err)
	}
	// Stale: a node for a device that does not exist.
	stale := dmctl.NodePath(p + "-stale")
	if err := unix.Mknod(stale, unix.S_IFBLK|0o600, int(unix.Mkdev(a.Dev.Major(), 1<<19))); err != nil {
		t.Fatal(err)
	}
	staleLink := dmctl.NodePath(p + "-stalelink")
	if err := os.Symlink("../dm-999", staleLink); err != nil {
		t.Fatal(err)
	}
	// Something not a node at all is left alone.
	keep := dmctl.NodePath(p + "-file")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(keep) })

	if err := c.MakeNodes(); err != nil {
		t.Fatalf("MakeNodes() = %v", err)
	}
	checkNode(t, p+"-a", a.Dev)
	checkNode(t, p+"-b", b.Dev)
	for _, path := range []string{stale, staleLink} {
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Lstat(%s) after MakeNodes = %v, want it removed", path, err)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("MakeNodes removed the regular file %s: %v", keep, err)
	}
	if _, err := os.Stat(dmctl.ControlPath); err != nil {
		t.Errorf("Stat(%s) after MakeNodes = %v", dmctl.ControlPath, err)
	}

	// A device without live table gets no node; MakeNode leaves it so.
	if _, err := c.Create(p+"-notable", "", false); err != nil {
		t.Fatal(err)
	}
	if err := c.MakeNode(p + "-notable"); err != nil {
		t.Errorf("MakeNode(%s) = %v", p+"-notable", err)
	}
	if _, err := os.Lstat(dmctl.NodePath(p + "-notable")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("MakeNode of a device without table: Lstat = %v, want no node", err)
	}
	// dmsetup mknodes agrees with what is there.
	dmtest.Dmsetup(t, "mknodes")
	checkNode(t, p+"-a", a.Dev)
	checkNode(t, p+"-b", b.Dev)

	if _, err := c.Remove(p+"-a", dmctl.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	checkGone(t, c, p+"-a")
}

// TestKernelNodesDmsetup checks that nodes dmsetup made are handled: dmctl
// removes them with the device, and renames them.
func TestKernelNodesDmsetup(t *testing.T) {
	c := dmtest.Require(t, "zero")
	requireNoUdev(t)
	p := dmtest.Name(t)
	dmtest.Dmsetup(t, "create", p+"-x", "--table", "0 8 zero")
	info := mustInfo(t, c, p+"-x")
	checkNode(t, p+"-x", info.Dev)
	if err := c.Rename(p+"-x", p+"-y"); err != nil {
		t.Fatalf("Rename = %v", err)
	}
	checkNode(t, p+"-y", info.Dev)
	if _, err := os.Lstat(dmctl.NodePath(p + "-x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lstat(%s) after rename = %v, want gone", dmctl.NodePath(p+"-x"), err)
	}
	if _, err := c.Remove(p+"-y", dmctl.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	checkGone(t, c, p+"-y")
	// And dmsetup removes what dmctl made.
	mustCreate(t, c, p+"-z", "", zero(8), false)
	dmtest.Dmsetup(t, "remove", p+"-z")
	checkGone(t, c, p+"-z")
}
