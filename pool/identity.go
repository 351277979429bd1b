//go:build linux

package pool

import (
	"fmt"
	"os"
	"syscall"

	"github.com/dmctl/dmctl/dmctl"
)

// Which root a running pool belongs to.
//
// A root records its pool's device-mapper name (dmctl-pool.json's prefix),
// so that the name survives the root being moved. A copy of the root
// (cp -a, rsync, a restored backup) records the same name: without a check
// every command run on the copy would act on the original's pool, and
// "snapshot rm" there would delete a thin device whose file the original
// still has, its data gone. So before anything else a command checks that
// the pool running under the recorded name is this root's: a loop pool's
// table must be on loop devices of this root's own data and metadata files
// (the same files, by device and inode, not files of the same name), a
// direct pool's on the devices its record names. An adopted pool is shared
// by design and is not checked.

// checkPoolIsOurs refuses a root whose recorded pool runs on another
// root's files or on other devices. An inactive pool passes: whichever
// root activates it first makes it its own, and the other is refused.
func (p *Pool) checkPoolIsOurs() error {
	if p.rec.Mode != ModeLoop && p.rec.Mode != ModeDirect {
		return nil
	}
	info, err := p.env.DM.Info(p.names.Pool)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return fmt.Errorf("pool %s: %w", p.names.Pool, err)
	}
	if !info.LiveTable() {
		return nil
	}
	_, table, err := p.poolTable()
	if err != nil {
		return err
	}
	type part struct {
		what, path string
		dev        dmctl.Dev
	}
	var parts []part
	if p.rec.Mode == ModeLoop {
		parts = []part{{"data", p.store.DataFile(), table.DataDev}, {"metadata", p.store.MetadataFile(), table.MetadataDev}}
	} else {
		parts = []part{{"data", p.rec.Config.DataDevice, table.DataDev}, {"metadata", p.rec.Config.MetadataDevice, table.MetadataDev}}
	}
	for _, pt := range parts {
		runsOn, ours, replaced := pt.dev.String(), false, false
		if p.rec.Mode == ModeLoop {
			ours, replaced, runsOn = p.loopIsFile(pt.dev, pt.path)
		} else if dev, ok, err := p.env.Sys.IsBlockDevice(pt.path); err == nil && ok {
			ours = dev == pt.dev
		}
		switch {
		case ours:
		case replaced:
			// This root's own file, replaced (a backup restored over
			// it, a copy moved in) while the pool ran on the old one.
			return fmt.Errorf("pool %s runs on %s as its %s device: this root's %s was replaced while the pool ran, and the pool still holds the old file's data; refusing to touch it: to go on with the files now in the root, remove the pool's devices (dmctl remove, thin devices first, the pool last; the old file goes with them), then activate it again",
				p.names.Pool, runsOn, pt.what, pt.path)
		default:
			return fmt.Errorf("pool %s runs on %s as its %s device, not on this root's %s: this root is a copy of another pool's root (or its record names another root's pool); refusing to touch it, which would change the other root's devices: use the pool from its own root, or deactivate it there first",
				p.names.Pool, runsOn, pt.what, pt.path)
		}
	}
	return nil
}

// loopIsFile reports whether dev is a loop device attached to file (the
// same device and inode), whether it is attached to an earlier file of
// that name since removed or replaced (sysfs then names it "file
// (deleted)"), and what dev is, for an error.
func (p *Pool) loopIsFile(dev dmctl.Dev, file string) (ours, replaced bool, what string) {
	ld, err := p.env.Sys.LoopStatusOf(dev)
	if err != nil {
		return false, false, "device " + dev.String() + " (not a loop device)"
	}
	what = ld.Path
	if ld.BackingFile != "" {
		what = ld.Path + " (" + ld.BackingFile + ")"
	}
	replaced = ld.BackingFile == file+" (deleted)"
	fi, err := os.Stat(file)
	if err != nil {
		return false, replaced, what
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == ld.BackingDev && st.Ino == ld.BackingInode, replaced, what
}
