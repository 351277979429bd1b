//go:build linux

package pool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dmctl/dmctl/dmctl"
)

// A pool root is trusted with root's power: its files say which devices
// to discard and delete, and which to format. So dmctl uses a root only
// when nobody but its own user can change it: the root and the
// directories dmctl keeps in it (metadata/, devicemapper/, mnt/) must be
// owned by the user dmctl runs as and not writable by group or others,
// and must not be symbolic links. dmctl makes them so (mode 0700); an
// existing root that is not is refused, with the chmod or chown that
// fixes it. Where dmctl creates a new root, the directory it creates it
// in must be owned by that user or by root and not writable by others,
// unless it is sticky (like /tmp, where nobody can replace what another
// user made).

// rootDirs are the directories dmctl keeps under a root.
var rootDirs = []string{metadataDirName, loopDirName, mountDirName}

// CheckRoot refuses a root that another user could change.
func CheckRoot(root string) error {
	st, err := dmctl.StatOwner(root)
	if err != nil {
		return fmt.Errorf("pool root: %w", err)
	}
	if err := checkOwner(root, st); err != nil {
		return err
	}
	d, err := dmctl.OpenDir(root)
	if err != nil {
		return fmt.Errorf("pool root: %w", err)
	}
	defer d.Close()
	for _, name := range rootDirs {
		st, err := d.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pool root: %w", err)
		}
		if err := checkOwner(filepath.Join(root, name), st); err != nil {
			return err
		}
	}
	return nil
}

// checkOwner refuses a directory of the root that is a link, not a
// directory, owned by another user or writable by group or others.
func checkOwner(path string, st dmctl.FileOwner) error {
	euid := uint32(os.Geteuid())
	switch {
	case st.Mode&fs.ModeSymlink != 0:
		return fmt.Errorf("pool directory %s is a symbolic link: refusing to use it (dmctl never follows links inside a root)", path)
	case !st.Mode.IsDir():
		return fmt.Errorf("pool root %s: %s is not a directory", filepath.Dir(path), path)
	case st.UID != euid:
		return fmt.Errorf("pool directory %s is owned by uid %d, not %d: refusing to use it (another user could make dmctl delete or format devices; chown it if it is yours)",
			path, st.UID, euid)
	case st.Mode.Perm()&0o022 != 0:
		return fmt.Errorf("pool directory %s is writable by group or others (mode %04o): refusing to use it (chmod go-w %s)",
			path, st.Mode.Perm(), path)
	}
	return nil
}

// checkCreateRoot checks where a new root would be made: the deepest
// existing directory of root's path must be owned by dmctl's user or by
// root and not writable by group or others, unless sticky. An existing
// root is checked with CheckRoot.
func checkCreateRoot(root string) error {
	dir := filepath.Clean(root)
	for {
		st, err := dmctl.StatOwner(dir)
		if err == nil {
			if dir == filepath.Clean(root) {
				return CheckRoot(root)
			}
			euid := uint32(os.Geteuid())
			switch {
			case !st.Mode.IsDir():
				return fmt.Errorf("create pool root %s: %s is not a directory", root, dir)
			case st.UID != euid && st.UID != 0:
				return fmt.Errorf("create pool root %s: %s is owned by uid %d: refusing to create a root in it", root, dir, st.UID)
			case st.Mode.Perm()&0o022 != 0 && st.Mode&fs.ModeSticky == 0:
				return fmt.Errorf("create pool root %s: %s is writable by group or others (mode %04o): refusing to create a root in it", root, dir, st.Mode.Perm())
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("create pool root %s: %w", root, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("create pool root %s: %w", root, err)
		}
		dir = parent
	}
}
