package dmctl

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// MapperDir is where device nodes named after dm devices live.
const MapperDir = "/dev/mapper"

// nodePolicy says who makes /dev/mapper/<name>: udev (when it runs, dmctl
// waits a bounded time for its node and then makes the node itself) or
// dmctl alone, as libdevmapper's fallback does.
type nodePolicy struct {
	udev bool
	wait time.Duration
}

// udevWait bounds how long dmctl waits for udev's node before making it.
const udevWait = 2 * time.Second

func detectNodePolicy() nodePolicy {
	if os.Getenv("DM_DISABLE_UDEV") != "" {
		return nodePolicy{}
	}
	if _, err := os.Stat("/run/udev/control"); err == nil {
		return nodePolicy{udev: true, wait: udevWait}
	}
	return nodePolicy{}
}

// NodePath returns /dev/mapper/<name>.
func NodePath(name string) string { return filepath.Join(MapperDir, name) }

// nodeIs reports whether path is (or leads to) the block device dev.
func nodeIs(path string, dev Dev) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFBLK && uint64(st.Rdev) == unix.Mkdev(dev.Major(), dev.Minor())
}

// ensureNode makes /dev/mapper/<name> a block node for dev.
func (c *Control) ensureNode(name string, dev Dev) error {
	if name == "" || dev == 0 {
		return nil
	}
	path := NodePath(name)
	if nodeIs(path, dev) {
		return nil
	}
	if c.nodes.udev {
		deadline := time.Now().Add(c.nodes.wait)
		for time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			if nodeIs(path, dev) {
				return nil
			}
		}
	}
	if err := os.MkdirAll(MapperDir, 0o755); err != nil {
		return &Error{Op: "create node", Device: path, Err: err}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return &Error{Op: "create node", Device: path, Err: err}
	}
	if err := unix.Mknod(path, unix.S_IFBLK|0o600, int(unix.Mkdev(dev.Major(), dev.Minor()))); err != nil && !errors.Is(err, unix.EEXIST) {
		return &Error{Op: "create node", Device: path, Err: err}
	}
	return nil
}

// removeNode removes /dev/mapper/<name> if dmctl (or libdm's fallback)
// made it; a udev symlink is left to udev.
func (c *Control) removeNode(name string) {
	if name == "" {
		return
	}
	path := NodePath(name)
	fi, err := os.Lstat(path)
	if err != nil {
		return
	}
	if c.nodes.udev && fi.Mode()&os.ModeSymlink != 0 {
		return
	}
	if fi.Mode()&os.ModeDevice != 0 || fi.Mode()&os.ModeSymlink != 0 {
		os.Remove(path)
	}
}

// MakeNode makes /dev/mapper/<name> right for the device: created when the
// device has a live table, removed when the device does not exist.
func (c *Control) MakeNode(name string) error {
	info, err := c.Info(name)
	if errors.Is(err, ErrNoDevice) {
		c.removeNode(name)
		return nil
	}
	if err != nil {
		return err
	}
	if !info.LiveTable() {
		return nil
	}
	return c.ensureNode(name, info.Dev)
}

// MakeNodes makes /dev/mapper right for every device and removes nodes
// left behind by devices that no longer exist (dmsetup mknodes).
func (c *Control) MakeNodes() error {
	devs, err := c.List(ListOptions{})
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(devs))
	var errs []error
	for _, d := range devs {
		known[d.Name] = true
		if nodeIs(NodePath(d.Name), d.Dev) {
			continue // right already: the list gave the number, no need to ask
		}
		if err := c.MakeNode(d.Name); err != nil {
			errs = append(errs, err)
		}
	}
	entries, _ := os.ReadDir(MapperDir)
	for _, e := range entries {
		if e.Name() == "control" || known[e.Name()] {
			continue
		}
		if e.Type()&(os.ModeDevice|os.ModeSymlink) != 0 {
			c.removeNode(e.Name())
		}
	}
	return errors.Join(errs...)
}
