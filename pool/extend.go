//go:build linux

package pool

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// ExtendOptions say how far to grow a pool.
type ExtendOptions struct {
	// DataSize and MetadataSize are the new sizes in bytes of a loop
	// pool's files, or of an LVM pool's data and metadata volumes; 0
	// leaves one as it is. A direct pool takes no sizes: grow its block
	// devices, then call Extend to make the pool use them.
	DataSize     uint64
	MetadataSize uint64
	// LowWaterMark is the low water mark, in data blocks, the reloaded
	// table gets (0 keeps the pool's). An adopted pool's table is never
	// reloaded, so it is ignored there.
	LowWaterMark uint64
}

// ExtendResult are a pool's sizes after Extend.
type ExtendResult struct {
	DataSize     uint64 // bytes of data device the pool now uses
	MetadataSize uint64 // bytes of the metadata device
	Reloaded     bool   // the active pool's table was reloaded
}

// Extend grows the pool online: a loop pool's files are lengthened and
// their loop devices told (LOOP_SET_CAPACITY); then, when the pool is
// active, its table is reloaded with the data device's new length (load,
// suspend, resume), which also makes the kernel take in grown metadata.
// It never shrinks. An inactive loop pool only has its files grown; it
// uses them at the next Activate. An adopted LVM thin pool is grown by
// LVM (lvextend of its data or metadata volume), which reloads its own
// table; other adopted pools belong to whoever made them and are refused.
func (p *Pool) Extend(opts ExtendOptions) (ExtendResult, error) {
	if err := p.writable(); err != nil {
		return ExtendResult{}, err
	}
	active, err := p.Active()
	if err != nil {
		return ExtendResult{}, err
	}
	var dataPath, metaPath string
	switch p.rec.Mode {
	case ModeAdopted:
		vol, err := p.LVMVolume()
		if err != nil {
			return ExtendResult{}, err
		}
		if vol == nil {
			return ExtendResult{}, fmt.Errorf("extend pool %s: an adopted pool is grown by the tool that made it", p.names.Pool)
		}
		if !active {
			return ExtendResult{}, p.inactiveAdoptedError()
		}
		return p.extendLVM(*vol, opts)
	case ModeDirect:
		if opts.DataSize != 0 || opts.MetadataSize != 0 {
			return ExtendResult{}, fmt.Errorf("extend pool %s: sizes apply to loop pools only; grow the block devices, then extend", p.names.Pool)
		}
		dataPath, metaPath = p.rec.Config.DataDevice, p.rec.Config.MetadataDevice
	case ModeLoop:
	}
	if active {
		// A failed pool cannot take a new table (its resume would fail
		// and leave it suspended): it must be repaired first.
		if st, err := p.poolStatus(); err == nil && st.Failed {
			return ExtendResult{}, p.modeError(st, "extend pool "+p.names.Pool)
		}
	}
	if p.rec.Mode == ModeLoop {
		if dataPath, metaPath, err = p.growLoopFiles(opts, active); err != nil {
			return ExtendResult{}, err
		}
	}
	var res ExtendResult
	if active {
		if err := p.reloadPool(dataPath, opts.LowWaterMark); err != nil {
			return ExtendResult{}, err
		}
		res.Reloaded = true
		if err := p.checkGrown(dataPath, metaPath); err != nil {
			return ExtendResult{}, err
		}
	}
	if res.DataSize, err = p.env.Sys.DeviceSize(dataPath); err != nil {
		return ExtendResult{}, err
	}
	if res.MetadataSize, err = p.env.Sys.DeviceSize(metaPath); err != nil {
		return ExtendResult{}, err
	}
	return res, nil
}

// extendLVM grows an LVM thin pool's data and metadata volumes to the
// sizes asked (LVM rounds up to whole extents), refusing to shrink them.
func (p *Pool) extendLVM(vol LVMVolume, opts ExtendOptions) (ExtendResult, error) {
	lvm := p.env.lvm()
	lv, err := lvmThinPool(lvm, vol)
	if err != nil {
		return ExtendResult{}, fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
	}
	var errs []error
	if opts.DataSize != 0 && opts.DataSize < lv.DataBytes {
		errs = append(errs, fmt.Errorf("data volume %s is %d bytes: shrinking it to %d is not possible", vol, lv.DataBytes, opts.DataSize))
	}
	if opts.MetadataSize != 0 && opts.MetadataSize < lv.MetaBytes {
		errs = append(errs, fmt.Errorf("metadata volume of %s is %d bytes: shrinking it to %d is not possible", vol, lv.MetaBytes, opts.MetadataSize))
	}
	if err := errors.Join(errs...); err != nil {
		return ExtendResult{}, fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
	}
	res := ExtendResult{DataSize: lv.DataBytes, MetadataSize: lv.MetaBytes}
	if opts.DataSize > lv.DataBytes {
		if err := lvextendData(lvm, vol, opts.DataSize); err != nil {
			return ExtendResult{}, fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
		}
		res.Reloaded = true
	}
	if opts.MetadataSize > lv.MetaBytes {
		if err := lvextendMetadata(lvm, vol, opts.MetadataSize); err != nil {
			return ExtendResult{}, fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
		}
		res.Reloaded = true
	}
	if res.Reloaded {
		if lv, err = lvmThinPool(lvm, vol); err != nil {
			return ExtendResult{}, fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
		}
		res.DataSize, res.MetadataSize = lv.DataBytes, lv.MetaBytes
	}
	return res, nil
}

// growLoopFiles lengthens a loop pool's files, refusing to shrink them,
// and tells their loop devices. It returns the loop devices (or the files
// when the pool is inactive).
func (p *Pool) growLoopFiles(opts ExtendOptions, active bool) (dataPath, metaPath string, err error) {
	files := []struct {
		name, path, what string
		size             uint64
	}{
		{dataFileName, p.store.DataFile(), "data", opts.DataSize},
		{metadataFileName, p.store.MetadataFile(), "metadata", opts.MetadataSize},
	}
	for _, f := range files {
		if err := p.store.checkLoopFile(f.name); err != nil {
			return "", "", fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
		}
	}
	cur := make([]uint64, len(files))
	var errs []error
	for i, f := range files {
		if cur[i], err = p.env.Sys.DeviceSize(f.path); err != nil {
			return "", "", err
		}
		if f.size != 0 && f.size < cur[i] {
			errs = append(errs, fmt.Errorf("%s file %s is %d bytes: shrinking it to %d is not possible", f.what, f.path, cur[i], f.size))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", "", fmt.Errorf("extend pool %s: %w", p.names.Pool, err)
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.path
		if !active {
			if f.size > cur[i] {
				if err := p.store.growLoopFile(f.name, f.size); err != nil {
					return "", "", err
				}
			}
			continue
		}
		ld, found, err := p.env.Sys.FindLoop(f.path)
		if err != nil {
			return "", "", err
		}
		if !found {
			return "", "", fmt.Errorf("extend pool %s: no loop device is attached to %s", p.names.Pool, f.path)
		}
		paths[i] = ld.Path
		if f.size > cur[i] {
			if err := p.store.growLoopFile(f.name, f.size); err != nil {
				return "", "", err
			}
			if err := p.env.Sys.SetLoopCapacity(ld.Path); err != nil {
				return "", "", err
			}
		}
	}
	return paths[0], paths[1], nil
}

// reloadPool reloads the active pool's table with the current length of
// its data device, and lowWater as its low water mark unless 0: load,
// suspend, resume. A table loaded but not made live (the suspend failed)
// is cleared again; a suspended pool is always resumed.
func (p *Pool) reloadPool(dataPath string, lowWater uint64) (retErr error) {
	cur, _, err := p.poolTable()
	if err != nil {
		return err
	}
	size, err := p.env.Sys.DeviceSize(dataPath)
	if err != nil {
		return err
	}
	sectors := size / SectorBytes
	if sectors < cur.Length {
		return fmt.Errorf("extend pool %s: data device %s (%d sectors) is smaller than the pool (%d sectors)",
			p.names.Pool, dataPath, sectors, cur.Length)
	}
	next := cur
	next.Length = sectors
	if lowWater != 0 {
		t, err := ParsePoolTable(cur.Params)
		if err != nil {
			return err
		}
		t.LowWater = lowWater
		next.Params = t.String()
	}
	name := p.names.Pool
	// Noted before the load: a kill between load and suspend leaves an
	// inactive table, which the next command clears (see stalled.go).
	release := holdInterrupts()
	defer release()
	done := p.lock.note(noteSuspend, name)
	if _, err := p.env.DM.Load(name, []dmctl.Target{next}, false); err != nil {
		done()
		return fmt.Errorf("extend pool %s: %w", name, p.withMode(err))
	}
	crashPoint("extend:loaded")
	if _, err := p.env.DM.Suspend(name, dmctl.SuspendOptions{}); err != nil {
		_, cerr := p.env.DM.ClearTable(name)
		if cerr == nil {
			done()
		}
		return fmt.Errorf("extend pool %s: %w", name, errors.Join(p.withMode(err), cerr))
	}
	crashPoint("extend:suspended")
	if _, err := p.env.DM.Resume(name); err != nil {
		// The kernel refused the new table: put the old one back, so that
		// the pool runs again at its old size.
		if _, lerr := p.env.DM.Load(name, []dmctl.Target{cur}, false); lerr == nil {
			if _, rerr := p.env.DM.Resume(name); rerr == nil {
				done()
			}
		}
		return fmt.Errorf("extend pool %s: resume: %w", name, p.withMode(err))
	}
	done()
	return nil
}

// checkGrown checks, after the table was reloaded, that the kernel took
// in the data and metadata devices' sizes: it keeps a read-only pool
// (needs_check) at its old size without a word ("unable to grow ... until
// repaired" goes to the kernel log only).
func (p *Pool) checkGrown(dataPath, metaPath string) error {
	st, err := p.poolStatus()
	if err != nil {
		return err
	}
	if st.Failed {
		return p.modeError(st, "extend pool "+p.names.Pool)
	}
	_, table, err := p.poolTable()
	if err != nil {
		return err
	}
	dataSize, err := p.env.Sys.DeviceSize(dataPath)
	if err != nil {
		return err
	}
	metaSize, err := p.env.Sys.DeviceSize(metaPath)
	if err != nil {
		return err
	}
	var short []string
	if want := dataSize / SectorBytes / table.BlockSectors; st.TotalDataBlocks < want {
		short = append(short, fmt.Sprintf("data: %d of %d blocks", st.TotalDataBlocks, want))
	}
	if want := min(metaSize, maxMetadataBytes) / MetadataBlockBytes; st.TotalMetaBlocks < want {
		short = append(short, fmt.Sprintf("metadata: %d of %d blocks", st.TotalMetaBlocks, want))
	}
	if len(short) == 0 {
		return nil
	}
	advice := ModeAdvice(p.names.Pool, st)
	if advice == "" {
		advice = "see the kernel log"
	}
	return fmt.Errorf("extend pool %s: the kernel did not grow the pool (%s): %s; a pool whose metadata needs checking grows only once repaired: deactivate it, run thin_check (thin_repair if it finds damage), activate it and extend again: %w",
		p.names.Pool, strings.Join(short, ", "), advice, ErrPoolMode)
}

// maxMetadataBytes is the most metadata a thin pool uses, the kernel's
// DM_SM_METADATA_MAX_BLOCKS 4 KiB blocks (255 * (2^14 - 64), about
// 15.9 GiB; older kernels allowed 255 * 2^14, a little more): a
// larger metadata device is used only up to it, and growing one past it
// leaves the pool at that size, which is no failure.
const maxMetadataBytes = 255 * ((1 << 14) - 64) * MetadataBlockBytes
