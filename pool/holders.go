//go:build linux

package pool

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/dmctl/dmctl/dmctl"
)

// HolderKind says how a Holder holds a block device.
type HolderKind string

// The kinds of holders.
const (
	HolderMount   HolderKind = "mount"   // a filesystem on the device is mounted
	HolderProcess HolderKind = "process" // a process has the device open
	HolderDevice  HolderKind = "device"  // another block device (e.g. a dm device) is stacked on it
)

// Holder is something that keeps a block device busy.
type Holder struct {
	Kind HolderKind
	// PID is, for a mount, a process in the mount namespace that has the
	// mount (0 when it is the caller's own namespace); for a process, the
	// process.
	PID int
	// Command is the command name of PID (from /proc/<pid>/comm), if known.
	Command string
	// Path is, for a mount, the mount point as PID sees it; for a process,
	// the open file as the kernel names it (e.g. /dev/dm-3); for a device,
	// its kernel name (e.g. dm-3).
	Path string
	// Namespace is the mount namespace of a mount, as its /proc/<pid>/ns/mnt
	// link reads (e.g. "mnt:[4026531841]"), if known.
	Namespace string
	// Name is, for a device, its device-mapper name, if it has one.
	Name string
}

// String describes the holder in a few words, for error messages:
// "mounted on /mnt/x (pid 1234's mount namespace)", "open by pid 42
// (mkfs.xfs)", "held by dm-3 (docker-8:1-123-pool)".
func (h Holder) String() string {
	switch h.Kind {
	case HolderMount:
		if h.PID == 0 {
			return "mounted on " + h.Path
		}
		return fmt.Sprintf("mounted on %s (pid %d's mount namespace)", h.Path, h.PID)
	case HolderProcess:
		if h.Command == "" {
			return fmt.Sprintf("open by pid %d", h.PID)
		}
		return fmt.Sprintf("open by pid %d (%s)", h.PID, h.Command)
	case HolderDevice:
		if h.Name == "" {
			return "held by " + h.Path
		}
		return fmt.Sprintf("held by %s (%s)", h.Path, h.Name)
	}
	return fmt.Sprintf("%s %s", h.Kind, h.Path)
}

// Holders names what keeps the block device dev busy: its mounts in every
// mount namespace (from /proc/*/mountinfo, one reading per namespace),
// the processes that have it open (an fd whose link is one of devPaths,
// such as /dev/dm-3 or /dev/mapper/<name>, or whose target is a block
// device numbered dev) and the devices stacked on it
// (/sys/dev/block/MAJ:MIN/holders). Mounts come first, then processes, then
// devices. Processes that vanish or cannot be inspected while it looks are
// skipped; only a /proc that cannot be listed is an error. Seeing other
// users' processes needs root.
func Holders(dev dmctl.Dev, devPaths []string) ([]Holder, error) {
	return holders("/proc", "/sys", dev, devPaths)
}

// holders is Holders over the given /proc and /sys trees.
func holders(procRoot, sysRoot string, dev dmctl.Dev, devPaths []string) ([]Holder, error) {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("find holders of %s: %w", dev, err)
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)

	out := mountHolders(procRoot, dev, pids)
	out = append(out, processHolders(procRoot, dev, devPaths, pids)...)
	out = append(out, deviceHolders(sysRoot, dev)...)
	return out, nil
}

// mountHolders finds the mounts of dev in every mount namespace: first the
// caller's own, then one process per other namespace. Mount ids are unique
// across namespaces, so a namespace read twice (when a process's ns link
// cannot be read) does not repeat its mounts.
func mountHolders(procRoot string, dev dmctl.Dev, pids []int) []Holder {
	want := dev.String()
	seenNS := map[string]bool{}
	seenID := map[int]bool{}
	var out []Holder
	scan := func(dir string, pid int) {
		ns, _ := os.Readlink(filepath.Join(dir, "ns", "mnt"))
		if ns != "" {
			if seenNS[ns] {
				return
			}
			seenNS[ns] = true
		}
		f, err := os.Open(filepath.Join(dir, "mountinfo"))
		if err != nil {
			return // gone, or a kernel without mountinfo for it
		}
		defer f.Close()
		var found []Holder
		err = scanMountinfo(f, want, func(e MountinfoEntry) {
			if seenID[e.ID] {
				return
			}
			seenID[e.ID] = true
			found = append(found, Holder{Kind: HolderMount, PID: pid, Path: e.MountPoint, Namespace: ns})
		})
		if err != nil {
			return // the process went away mid-read
		}
		if pid != 0 && len(found) > 0 {
			comm := readComm(procRoot, pid)
			for i := range found {
				found[i].Command = comm
			}
		}
		out = append(out, found...)
	}
	scan(filepath.Join(procRoot, "self"), 0)
	for _, pid := range pids {
		scan(filepath.Join(procRoot, strconv.Itoa(pid)), pid)
	}
	return out
}

// processHolders finds the processes with an open fd on dev.
func processHolders(procRoot string, dev dmctl.Dev, devPaths []string, pids []int) []Holder {
	var out []Holder
	for _, pid := range pids {
		fdDir := filepath.Join(procRoot, strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // gone, or not ours to inspect
		}
		for _, fd := range fds {
			link := filepath.Join(fdDir, fd.Name())
			target, err := os.Readlink(link)
			if err != nil || !strings.HasPrefix(target, "/") {
				continue // gone, or a socket, pipe or anon inode
			}
			if slices.Contains(devPaths, target) || isBlockDev(link, dev) {
				out = append(out, Holder{Kind: HolderProcess, PID: pid, Command: readComm(procRoot, pid), Path: target})
				break
			}
		}
	}
	return out
}

// isBlockDev reports whether path leads to the block device dev.
func isBlockDev(path string, dev dmctl.Dev) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&fs.ModeDevice == 0 || fi.Mode()&fs.ModeCharDevice != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && dmctl.Dev(st.Rdev) == dev
}

// deviceHolders lists the block devices stacked on dev.
func deviceHolders(sysRoot string, dev dmctl.Dev) []Holder {
	dir := filepath.Join(sysRoot, "dev", "block", dev.String(), "holders")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // no such device, or no holders directory
	}
	out := make([]Holder, 0, len(entries))
	for _, e := range entries {
		h := Holder{Kind: HolderDevice, Path: e.Name()}
		if name, err := os.ReadFile(filepath.Join(dir, e.Name(), "dm", "name")); err == nil {
			h.Name = strings.TrimSpace(string(name))
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b Holder) int { return cmp.Compare(a.Path, b.Path) })
	return out
}

// readComm returns the command name of pid, or "" if it cannot be read.
func readComm(procRoot string, pid int) string {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}
