//go:build linux

package pool

import (
	"errors"
	"fmt"
	"time"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/pool/thinmeta"
)

// TrimOptions modify Trim.
type TrimOptions struct {
	// DryRun reports what would be reclaimed without changing anything:
	// no FITRIM, no hole punched, no discard, no suspend. The free blocks
	// are read through a metadata snapshot (reserve_metadata_snap commits
	// first): the data blocks no thin device maps, which is what the data
	// space map counts free; a loop pool's data file is asked which of
	// those ranges still hold data (SEEK_DATA).
	DryRun bool
	// NoFSTrim skips the FITRIM of the pool's mounted thin devices.
	NoFSTrim bool
	// Progress, when set, is called after each free run with the free
	// blocks handled so far and the pool's free block count.
	Progress func(done, total uint64)
}

// TrimResult says what Trim did.
type TrimResult struct {
	FSTrimmed       map[string]uint64 // mount point → bytes the filesystem trimmed
	FreeBlocks      uint64            // free data blocks in the committed space map
	FreeBytes       uint64            // the same in bytes
	Runs            int               // free runs punched or discarded
	AllocatedBefore uint64            // loop pools: the data file's allocated bytes before
	AllocatedAfter  uint64            // and after (with DryRun: what it would be)
	Suspended       time.Duration     // how long the pool was suspended (0 with DryRun)
	DataFile        string            // loop pools: the data file holes were punched in
	DataDevice      string            // block pools: the device discards went to
}

// Reclaimed returns the bytes the data file gave back (loop pools).
func (r TrimResult) Reclaimed() uint64 {
	if r.AllocatedBefore > r.AllocatedAfter {
		return r.AllocatedBefore - r.AllocatedAfter
	}
	return 0
}

// Trim gives the pool's free data blocks back to the storage under it,
// online. First each mounted thin device of the pool is FITRIMmed, so that
// space its filesystem freed goes back to the pool. Then the pool is
// suspended — suspending commits its metadata and stops allocation, so the
// data space map on the metadata device is exact while it stays suspended —
// the space map is read from the metadata device, and every free run is
// punched out of the data file (loop pools) or discarded on the data
// device; the pool is always resumed.
func (p *Pool) Trim(opts TrimOptions) (res TrimResult, retErr error) {
	res.FSTrimmed = map[string]uint64{}
	if opts.DryRun {
		return p.trimDryRun(opts)
	}
	if err := p.writable(); err != nil {
		return res, err
	}
	if err := p.requireActive(); err != nil {
		return res, err
	}
	_, table, err := p.poolTable()
	if err != nil {
		return res, err
	}
	if st, err := p.poolStatus(); err == nil && st.Failed {
		return res, p.modeError(st, "trim pool "+p.names.Pool)
	}
	blockBytes := table.BlockSectors * SectorBytes
	metaPath, dataPath := blockPath(table.MetadataDev), blockPath(table.DataDev)
	if metaPath == "" || dataPath == "" {
		return res, fmt.Errorf("pool %s: cannot find the nodes of its devices %s and %s", p.names.Pool, table.MetadataDev, table.DataDev)
	}
	loopFile := ""
	if loop, err := dmctl.LoopStatus(dataPath); err == nil && loop.BackingFile != "" {
		loopFile = loop.BackingFile
		res.DataFile = loopFile
		res.AllocatedBefore, _ = dmctl.AllocatedBytes(loopFile)
	} else {
		res.DataDevice = dataPath
	}

	if !opts.DryRun && !opts.NoFSTrim {
		devs, err := p.ListDevices()
		if err != nil {
			return res, err
		}
		for _, d := range devs {
			if len(d.MountPoints) > 0 {
				if err := p.refuseSuspended("trim "+d.MountPoints[0], p.names.Device(d.ID)); err != nil {
					return res, err
				}
			}
		}
		for _, d := range devs {
			for _, mp := range d.MountPoints {
				n, err := dmctl.FITrim(mp)
				if err != nil {
					return res, fmt.Errorf("trim %s (device %s): %w", mp, d.ID, err)
				}
				res.FSTrimmed[mp] = n
			}
		}
	}

	start := time.Now()
	resume, err := p.suspend(p.names.Pool, dmctl.SuspendOptions{})
	if err != nil {
		return res, fmt.Errorf("suspend pool %s: %w", p.names.Pool, p.withMode(err))
	}
	crashPoint("trim:suspended")
	defer func() {
		if err := resume(); err != nil {
			retErr = errors.Join(retErr, fmt.Errorf("resume pool %s: %w", p.names.Pool, err))
		}
		res.Suspended = time.Since(start)
		if loopFile != "" {
			res.AllocatedAfter, _ = dmctl.AllocatedBytes(loopFile)
		}
	}()
	md, err := thinmeta.OpenDevice(metaPath)
	if err != nil {
		return res, fmt.Errorf("read pool %s metadata on %s: %w", p.names.Pool, metaPath, err)
	}
	defer md.Close()
	if md.Superblock().DataBlockSize != uint32(table.BlockSectors) {
		return res, fmt.Errorf("pool %s: metadata block size %d sectors differs from the table's %d",
			p.names.Pool, md.Superblock().DataBlockSize, table.BlockSectors)
	}
	var total uint64
	if sm, err := md.DataSpaceMap(); err == nil {
		total = sm.NrFree()
	}
	err = md.FreeDataRuns(func(first, n uint64) error {
		if Interrupted() {
			return errInterrupted
		}
		res.FreeBlocks += n
		res.Runs++
		if opts.Progress != nil {
			defer opts.Progress(res.FreeBlocks, total)
		}
		if opts.DryRun {
			return nil
		}
		off, length := first*blockBytes, n*blockBytes
		if loopFile != "" {
			return dmctl.PunchHole(loopFile, off, length)
		}
		return dmctl.Discard(dataPath, off, length)
	})
	res.FreeBytes = res.FreeBlocks * blockBytes
	if err != nil {
		return res, fmt.Errorf("trim pool %s: %w", p.names.Pool, err)
	}
	return res, nil
}

// blockPath returns /dev/<kernel name> of a block device.
func blockPath(dev dmctl.Dev) string {
	name := dmctl.BlockName(dev)
	if name == "" {
		return ""
	}
	return "/dev/" + name
}

// trimDryRun is Trim with DryRun: it reads the free data blocks through a
// metadata snapshot, changing nothing and leaving the pool running.
func (p *Pool) trimDryRun(opts TrimOptions) (res TrimResult, retErr error) {
	res.FSTrimmed = map[string]uint64{}
	if err := p.requireActive(); err != nil {
		return res, err
	}
	_, table, err := p.poolTable()
	if err != nil {
		return res, err
	}
	st, err := p.poolStatus()
	if err != nil {
		return res, err
	}
	if st.Failed {
		return res, p.modeError(st, "trim pool "+p.names.Pool)
	}
	blockBytes := table.BlockSectors * SectorBytes
	dataPath := blockPath(table.DataDev)
	if dataPath == "" {
		return res, fmt.Errorf("pool %s: cannot find the node of its data device %s", p.names.Pool, table.DataDev)
	}
	var data *dmctl.DataMap
	if loop, err := dmctl.LoopStatus(dataPath); err == nil && loop.BackingFile != "" {
		res.DataFile = loop.BackingFile
		if res.AllocatedBefore, err = dmctl.AllocatedBytes(loop.BackingFile); err != nil {
			return res, err
		}
		if data, err = dmctl.OpenDataMap(loop.BackingFile); err != nil {
			return res, err
		}
		defer data.Close()
	} else {
		res.DataDevice = dataPath
	}
	total := st.TotalDataBlocks - st.UsedDataBlocks
	var reclaimable uint64
	err = p.readMetadataSnapshot(func(m *thinmeta.Metadata) error {
		if m.Superblock().DataBlockSize != uint32(table.BlockSectors) {
			return fmt.Errorf("metadata block size %d sectors differs from the table's %d",
				m.Superblock().DataBlockSize, table.BlockSectors)
		}
		return m.UnmappedDataRuns(st.TotalDataBlocks, func(first, n uint64) error {
			if Interrupted() {
				return errInterrupted
			}
			res.FreeBlocks += n
			res.Runs++
			if opts.Progress != nil {
				defer opts.Progress(res.FreeBlocks, total)
			}
			if data == nil {
				return nil
			}
			held, err := data.DataBytes(first*blockBytes, n*blockBytes)
			reclaimable += held
			return err
		})
	})
	res.FreeBytes = res.FreeBlocks * blockBytes
	res.AllocatedAfter = res.AllocatedBefore - min(reclaimable, res.AllocatedBefore)
	if err != nil {
		return res, fmt.Errorf("trim pool %s (dry run): %w", p.names.Pool, err)
	}
	return res, nil
}
