package dmtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

// RequireEnv names the environment variable that, set to 1, turns every
// skip of this package into a test failure.
const RequireEnv = "DMCTL_REQUIRE_KERNEL"

// Required reports whether kernel tests must run (RequireEnv=1) rather
// than skip when the kernel cannot serve them.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// skipf skips the test, or fails it when the kernel is required.
func skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(format+" ("+RequireEnv+"=1: not skipping)", args...)
	}
	t.Skipf(format, args...)
}

// Require returns an open Control for a test that needs device-mapper and
// the named target types (e.g. "thin-pool", "zero"). It skips the test
// unless the process runs as root, device-mapper is reachable and every
// target is registered (asking for a target's version also loads its
// module when the kernel can). The Control is closed when the test ends.
func Require(t testing.TB, targets ...string) *dmctl.Control {
	t.Helper()
	if os.Geteuid() != 0 {
		skipf(t, "device-mapper test needs root (euid %d)", os.Geteuid())
	}
	c, err := dmctl.Open()
	if err != nil {
		skipf(t, "device-mapper is not reachable: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	var listed []dmctl.TargetVersion
	for _, target := range targets {
		if _, err := c.TargetVersion(target); err == nil {
			continue
		}
		// Kernels before ioctl 4.41 have no DM_GET_TARGET_VERSION.
		if listed == nil {
			if listed, err = c.TargetVersions(); err != nil {
				skipf(t, "device-mapper target %q: %v", target, err)
			}
		}
		if !slices.ContainsFunc(listed, func(v dmctl.TargetVersion) bool { return v.Name == target }) {
			skipf(t, "device-mapper target %q is not registered", target)
		}
	}
	return c
}

// RequireLoop skips the test unless the process runs as root and the loop
// driver is reachable (or fails it when RequireEnv=1).
func RequireLoop(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipf(t, "loop device test needs root (euid %d)", os.Geteuid())
	}
	if _, err := os.Stat(dmctl.LoopControlPath); err != nil {
		skipf(t, "loop driver is not reachable: %v", err)
	}
}

// maxTestName bounds the test-name part of a Name prefix, so that the
// prefix leaves room under device-mapper's 127-byte limit for the suffixes
// a test adds.
const maxTestName = 48

// Name returns a device-name prefix unique to this call,
// "dmtest-<8 hex>-<test name>" (at most 64 bytes, using only letters,
// digits, '-', '_' and '.'). Name the test's devices prefix, or prefix
// followed by a suffix. When the test ends, every device whose name starts
// with the prefix is removed, users before the devices they use.
func Name(t testing.TB) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("dmtest: random name: %v", err)
	}
	prefix := "dmtest-" + hex.EncodeToString(b[:]) + "-" + sanitize(t.Name())
	t.Cleanup(func() {
		if err := RemovePrefix(prefix); err != nil {
			t.Errorf("dmtest: cleanup: %v", err)
		}
	})
	return prefix
}

// sanitize keeps the characters of s that are safe in a device name and
// a /dev/mapper path, replacing the others by '-', and bounds its length.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			b[i] = '-'
		}
	}
	if len(b) > maxTestName {
		b = b[:maxTestName]
	}
	return string(b)
}

// RemovePrefix removes every device whose name starts with prefix. A
// device in use by another (a pool under its thin devices, a linear under
// a stacked one) is removed once its users are gone: the removal repeats
// until nothing is left or a round makes no progress. Inactive tables are
// dropped and suspended devices resumed first, so that no removal waits on
// a suspended device.
func RemovePrefix(prefix string) error {
	if prefix == "" {
		return errors.New("remove devices: empty prefix")
	}
	c, err := dmctl.Open()
	if err != nil {
		if errors.Is(err, dmctl.ErrUnavailable) || errors.Is(err, dmctl.ErrPermission) {
			return nil // no device can have been made
		}
		return err
	}
	defer c.Close()
	list, err := c.List(dmctl.ListOptions{NamePrefix: prefix})
	if err != nil {
		return err
	}
	for _, e := range list {
		if info, err := c.ClearTable(e.Name); err == nil && info.Suspended() && info.LiveTable() {
			c.Resume(e.Name)
		}
	}
	for {
		list, err := c.List(dmctl.ListOptions{NamePrefix: prefix})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		var errs []error
		progress := false
		// Later names are more often users of earlier ones: go backwards.
		for i := len(list) - 1; i >= 0; i-- {
			_, err := c.Remove(list[i].Name, dmctl.RemoveOptions{})
			if err == nil || errors.Is(err, dmctl.ErrNoDevice) {
				progress = true
				continue
			}
			errs = append(errs, err)
		}
		if !progress {
			// Still open: let the kernel remove them at their last close.
			for _, e := range list {
				c.Remove(e.Name, dmctl.RemoveOptions{Deferred: true})
			}
			return errors.Join(errs...)
		}
	}
}

// LoopFile creates a sparse file of size bytes in a temporary directory,
// attaches it to a free loop device and returns the device, which is
// detached when the test ends. The test is skipped without root or loop
// driver (see RequireLoop).
func LoopFile(t testing.TB, size int64) dmctl.LoopDevice {
	t.Helper()
	RequireLoop(t)
	path := filepath.Join(t.TempDir(), "loop.img")
	if err := makeSparse(path, size); err != nil {
		t.Fatalf("dmtest: %v", err)
	}
	d, err := dmctl.AttachLoop(path, dmctl.LoopOptions{})
	if err != nil {
		t.Fatalf("dmtest: AttachLoop(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		// A device still open (by a dm table) detaches at its last close.
		if err := dmctl.DetachLoop(d.Path); err != nil {
			t.Errorf("dmtest: DetachLoop(%s) = %v", d.Path, err)
		}
	})
	return d
}

// makeSparse creates path as a sparse file of size bytes.
func makeSparse(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Dmsetup runs dmsetup, the test oracle, with args (udev synchronisation
// off, as in a guest without udev) and returns its standard output. It
// fails the test when dmsetup fails, and skips it (or fails it when
// RequireEnv=1) when dmsetup is not installed.
func Dmsetup(t testing.TB, args ...string) string {
	t.Helper()
	out, err := RunDmsetup(args...)
	if errors.Is(err, exec.ErrNotFound) {
		skipf(t, "dmsetup is not installed: %v", err)
	}
	if err != nil {
		t.Fatalf("dmsetup %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// RunDmsetup runs dmsetup like Dmsetup does, but returns its failure (with
// its standard error) instead of failing a test.
func RunDmsetup(args ...string) (string, error) {
	path, err := exec.LookPath("dmsetup")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "DM_DISABLE_UDEV=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return stdout.String(), fmt.Errorf("%w: %s", err, msg)
		}
		return stdout.String(), err
	}
	return stdout.String(), nil
}
