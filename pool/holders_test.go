package pool

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

func TestHolderString(t *testing.T) {
	tests := []struct {
		h    Holder
		want string
	}{
		{Holder{Kind: HolderMount, Path: "/mnt/x"}, "mounted on /mnt/x"},
		{Holder{Kind: HolderMount, PID: 1234, Command: "dockerd", Path: "/mnt/x"}, "mounted on /mnt/x (pid 1234's mount namespace)"},
		{Holder{Kind: HolderProcess, PID: 42, Command: "mkfs.xfs", Path: "/dev/dm-3"}, "open by pid 42 (mkfs.xfs)"},
		{Holder{Kind: HolderProcess, PID: 42}, "open by pid 42"},
		{Holder{Kind: HolderDevice, Path: "dm-3"}, "held by dm-3"},
		{Holder{Kind: HolderDevice, Path: "dm-3", Name: "docker-8:1-123-pool"}, "held by dm-3 (docker-8:1-123-pool)"},
	}
	for _, tc := range tests {
		if got := tc.h.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.h, got, tc.want)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// fakeProc is a process of a fake /proc tree.
type fakeProc struct {
	pid       int
	comm      string
	ns        string            // target of ns/mnt; none when empty
	mountinfo string            // none when empty
	fds       map[string]string // fd number -> link target
}

func makeProc(t *testing.T, root string, procs []fakeProc) {
	t.Helper()
	for _, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(p.pid))
		writeFile(t, filepath.Join(dir, "comm"), p.comm+"\n")
		if p.ns != "" {
			symlink(t, p.ns, filepath.Join(dir, "ns", "mnt"))
		}
		if p.mountinfo != "" {
			writeFile(t, filepath.Join(dir, "mountinfo"), p.mountinfo)
		}
		for fd, target := range p.fds {
			symlink(t, target, filepath.Join(dir, "fd", fd))
		}
	}
}

func TestHoldersFakeTree(t *testing.T) {
	proc, sys := t.TempDir(), t.TempDir()
	regular := filepath.Join(t.TempDir(), "file")
	writeFile(t, regular, "x")
	const (
		rootLine  = "27 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
		thinLine  = "40 27 253:3 / /mnt/x rw,relatime shared:20 - xfs /dev/mapper/thin rw,nouuid\n"
		otherLine = "41 27 253:4 / /mnt/y rw,relatime - xfs /dev/mapper/other rw\n"
	)
	makeProc(t, proc, []fakeProc{
		{pid: 100, comm: "dmctl", ns: "mnt:[1]", mountinfo: rootLine + thinLine + otherLine},
		{pid: 200, comm: "bash", ns: "mnt:[1]", mountinfo: rootLine + thinLine + otherLine},
		{pid: 300, comm: "dockerd", ns: "mnt:[2]",
			mountinfo: "90 80 253:1 / / rw - ext4 /dev/vda1 rw\n91 90 253:3 / /var/lib/docker/mnt/abc rw - xfs /dev/mapper/thin rw\n"},
		{pid: 400, comm: "containerd", // its ns link is unreadable: its mountinfo is read, and 40 is a mount already seen
			mountinfo: rootLine + thinLine + "95 27 253:3 /sub /srv/y rw - xfs /dev/mapper/thin rw\n"},
		{pid: 450, comm: "kworker", ns: "mnt:[3]"}, // no mountinfo
		{pid: 500, comm: "mkfs.xfs", fds: map[string]string{"0": "/dev/null", "3": "/dev/dm-3"}},
		{pid: 600, comm: "sleep", fds: map[string]string{"4": regular, "5": "socket:[123]", "6": "pipe:[9]", "7": "anon_inode:[eventfd]"}},
		{pid: 700, comm: "dd", fds: map[string]string{"1": "/dev/mapper/thin"}},
		{pid: 800, comm: "udevd", fds: map[string]string{"7": "/dev/dm-3", "8": "/dev/dm-3"}},
	})
	symlink(t, "100", filepath.Join(proc, "self"))
	writeFile(t, filepath.Join(proc, "notapid", "comm"), "x\n")
	writeFile(t, filepath.Join(proc, "uptime"), "1.0 1.0\n")
	holderDir := filepath.Join(sys, "dev", "block", "253:3", "holders")
	writeFile(t, filepath.Join(holderDir, "dm-5", "dm", "name"), "docker-8:1-123-pool\n")
	if err := os.MkdirAll(filepath.Join(holderDir, "dm-4"), 0o755); err != nil {
		t.Fatal(err)
	}

	dev := dmctl.MakeDev(253, 3)
	got, err := holders(proc, sys, dev, []string{"/dev/dm-3", "/dev/mapper/thin"})
	if err != nil {
		t.Fatalf("holders(%s) error = %v", dev, err)
	}
	want := []Holder{
		{Kind: HolderMount, Path: "/mnt/x", Namespace: "mnt:[1]"},
		{Kind: HolderMount, PID: 300, Command: "dockerd", Path: "/var/lib/docker/mnt/abc", Namespace: "mnt:[2]"},
		{Kind: HolderMount, PID: 400, Command: "containerd", Path: "/srv/y"},
		{Kind: HolderProcess, PID: 500, Command: "mkfs.xfs", Path: "/dev/dm-3"},
		{Kind: HolderProcess, PID: 700, Command: "dd", Path: "/dev/mapper/thin"},
		{Kind: HolderProcess, PID: 800, Command: "udevd", Path: "/dev/dm-3"},
		{Kind: HolderDevice, Path: "dm-4"},
		{Kind: HolderDevice, Path: "dm-5", Name: "docker-8:1-123-pool"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("holders(%s) =\n%+v\nwant\n%+v", dev, got, want)
	}

	// A device nothing holds.
	got, err = holders(proc, sys, dmctl.MakeDev(253, 9), []string{"/dev/dm-9"})
	if err != nil || len(got) != 0 {
		t.Errorf("holders(253:9) = %+v, %v, want none", got, err)
	}
	// No /proc at all.
	if got, err := holders(filepath.Join(proc, "missing"), sys, dev, nil); err == nil {
		t.Errorf("holders(missing /proc) = %+v, want error", got)
	}
}

// TestHoldersFakeTreeStat matches an fd by the device number of its target
// rather than by its path, using a block device node of the host.
func TestHoldersFakeTreeStat(t *testing.T) {
	node, dev := hostBlockDevice(t)
	proc := t.TempDir()
	makeProc(t, proc, []fakeProc{{pid: 10, comm: "cat", fds: map[string]string{"3": node}}})
	got, err := holders(proc, t.TempDir(), dev, nil)
	if err != nil {
		t.Fatalf("holders(%s) error = %v", dev, err)
	}
	want := []Holder{{Kind: HolderProcess, PID: 10, Command: "cat", Path: node}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("holders(%s) = %+v, want %+v", dev, got, want)
	}
}

// hostBlockDevice returns a block device node of this machine and its
// number, or skips the test.
func hostBlockDevice(t *testing.T) (string, dmctl.Dev) {
	t.Helper()
	for _, node := range []string{"/dev/loop0", "/dev/vda", "/dev/sda", "/dev/nvme0n1"} {
		if dev, ok := blockDevNumber(node); ok {
			return node, dev
		}
	}
	t.Skip("no block device node found")
	return "", 0
}

func blockDevNumber(path string) (dmctl.Dev, bool) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeDevice == 0 || fi.Mode()&os.ModeCharDevice != 0 {
		return 0, false
	}
	return dmctl.Dev(fi.Sys().(*syscall.Stat_t).Rdev), true
}

// TestHoldersLoopDevice runs against this machine's /proc and /sys: it
// attaches an ext4 image to a loop device (losetup is used only by this
// test), then checks that Holders sees this process's open fd, the mount
// in this mount namespace, and the same mount in a private mount namespace
// made by unshare(1). It needs root, losetup, mkfs.ext4, mount and unshare;
// run it with: go test -run TestHoldersLoopDevice ./pool/
func TestHoldersLoopDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skipf("no loop devices: %v", err)
	}
	tools := map[string]string{}
	for _, name := range []string{"losetup", "mkfs.ext4", "mount", "umount", "unshare"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s not installed", name)
		}
		tools[name] = p
	}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(tools[name], args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}

	dir := t.TempDir()
	img := filepath.Join(dir, "fs.img")
	writeFile(t, img, "")
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	run("mkfs.ext4", "-q", "-F", img)
	loop := run("losetup", "-f", "--show", img)
	t.Cleanup(func() { _ = exec.Command(tools["losetup"], "-d", loop).Run() })
	dev, ok := blockDevNumber(loop)
	if !ok {
		t.Fatalf("%s is not a block device", loop)
	}

	// Other processes (udev's blkid) may glance at a new device: only this
	// process's own holds are checked.
	if got, err := Holders(dev, []string{loop}); err != nil || slices.ContainsFunc(got, func(h Holder) bool {
		return h.Kind == HolderMount || h.PID == os.Getpid()
	}) {
		t.Errorf("Holders(%s) of an idle loop device = %+v, %v, want no mount and not this process", dev, got, err)
	}

	// An open fd, found by path and by device number.
	f, err := os.Open(loop)
	if err != nil {
		t.Fatal(err)
	}
	self := Holder{Kind: HolderProcess, PID: os.Getpid(), Command: readComm("/proc", os.Getpid()), Path: loop}
	for _, paths := range [][]string{{loop}, nil} {
		got, err := Holders(dev, paths)
		if err != nil {
			t.Fatalf("Holders(%s, %q) error = %v", dev, paths, err)
		}
		if !slices.Contains(got, self) {
			t.Errorf("Holders(%s, %q) = %+v, want it to contain %+v", dev, paths, got, self)
		}
	}
	f.Close()

	// A mount in this namespace.
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	run("mount", "-t", "ext4", loop, mnt)
	t.Cleanup(func() { _ = exec.Command(tools["umount"], mnt).Run() })
	if got, err := MountPoints(dev); err != nil || !reflect.DeepEqual(got, []string{mnt}) {
		t.Errorf("MountPoints(%s) = %q, %v, want [%q]", dev, got, err, mnt)
	}
	ownNS, _ := os.Readlink("/proc/self/ns/mnt")
	ownMount := Holder{Kind: HolderMount, Path: mnt, Namespace: ownNS}
	got, err := Holders(dev, []string{loop})
	if err != nil || len(got) == 0 || got[0] != ownMount {
		t.Errorf("Holders(%s) = %+v, %v, want %+v first", dev, got, err, ownMount)
	}

	// The same mount, copied into a private mount namespace.
	sleeper := exec.Command(tools["unshare"], "--mount", "--propagation", "private", "sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	pid := sleeper.Process.Pid
	var otherNS string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ns, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "ns", "mnt"))
		if ns != "" && ns != ownNS && readComm("/proc", pid) == "sleep" {
			otherNS = ns
			break
		}
	}
	if otherNS == "" {
		t.Fatalf("unshare (pid %d) did not enter a new mount namespace", pid)
	}
	got, err = Holders(dev, []string{loop})
	if err != nil {
		t.Fatalf("Holders(%s) error = %v", dev, err)
	}
	var other *Holder
	for i, h := range got {
		if h.Kind == HolderMount && h.Namespace == otherNS {
			other = &got[i]
		}
	}
	if len(got) < 2 || got[0] != ownMount || other == nil || other.Path != mnt || other.Command != "sleep" {
		t.Fatalf("Holders(%s) = %+v, want the mount in our namespace and in %s (pid %d)", dev, got, otherNS, pid)
	}
	if s := other.String(); !strings.Contains(s, "'s mount namespace)") {
		t.Errorf("Holder.String() = %q, want a mount namespace named", s)
	}
}
