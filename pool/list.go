//go:build linux

package pool

import (
	"errors"
	"fmt"
)

// Summary is a pool as List reports it.
type Summary struct {
	Root       string
	Name       string // the pool's device-mapper name
	Prefix     string // start of its thin devices' names
	Mode       Mode
	DockerRoot bool // the root has no dmctl record (Docker's driver left it)
	Active     bool
	// DataFile and MetadataFile are a loop pool's files; DataDevice and
	// MetadataDevice a direct pool's block devices.
	DataFile, MetadataFile     string
	DataDevice, MetadataDevice string
	BlockSize                  uint64 // bytes; 0 when not known (a Docker root, inactive)
	Devices                    int    // thin devices recorded, the base included
}

// List reports the pool of root: dmctl keeps one pool per root, so the
// result has one entry, or none when the root holds no pool. It takes the
// root's lock shared and changes nothing (but what a killed dmctl left
// stalled, see stalled.go).
func List(root string, env Env, opts OpenOptions) ([]Summary, error) {
	opts.Write = false
	p, err := Open(root, env, opts)
	if err != nil {
		if errors.Is(err, ErrPoolNotFound) {
			return nil, nil
		}
		return nil, err
	}
	defer p.Close()
	s, err := p.Summary()
	if err != nil {
		return nil, err
	}
	return []Summary{s}, nil
}

// Summary reports the pool.
func (p *Pool) Summary() (Summary, error) {
	s := Summary{Root: p.Root(), Name: p.names.Pool, Prefix: p.names.Prefix, Mode: p.rec.Mode,
		DockerRoot: p.docker}
	switch p.rec.Mode {
	case ModeLoop:
		s.DataFile, s.MetadataFile = p.store.DataFile(), p.store.MetadataFile()
	case ModeDirect:
		s.DataDevice, s.MetadataDevice = p.rec.Config.DataDevice, p.rec.Config.MetadataDevice
	}
	if !p.docker {
		s.BlockSize = p.rec.Config.BlockSize
	}
	active, err := p.Active()
	if err != nil {
		return Summary{}, err
	}
	s.Active = active
	switch {
	case active:
		if _, t, err := p.poolTable(); err == nil {
			s.BlockSize = t.BlockSectors * SectorBytes
		}
	case p.rec.Mode == ModeLoop:
		// The metadata superblock records the block size.
		if head, err := readMetadataHeader(p.store.MetadataFile()); err == nil {
			if sectors, ok := metadataBlockSectors(head); ok {
				s.BlockSize = sectors * SectorBytes
			}
		}
	}
	devs, err := p.store.Devices()
	if err != nil {
		return Summary{}, err
	}
	s.Devices = len(devs)
	return s, nil
}

// DockerInfo gathers the devicemapper section of `docker info` for the
// active pool. The library, kernel and target versions and udev sync
// support are the caller's to fill in.
func (p *Pool) DockerInfo() (DockerInfo, error) {
	target, _, err := p.poolTable()
	if err != nil {
		return DockerInfo{}, err
	}
	st, err := p.poolStatus()
	if err != nil {
		return DockerInfo{}, err
	}
	devs, err := p.store.Devices()
	if err != nil {
		return DockerInfo{}, err
	}
	ds, _, err := p.store.ReadDeviceSet()
	if err != nil {
		return DockerInfo{}, err
	}
	cfg := p.rec.Config
	d := DockerInfo{
		PoolName:                p.names.Pool,
		BlockBytes:              st.BlockBytes(target.Length),
		BackingFilesystem:       ds.BaseDeviceFilesystem,
		DeferredRemovalEnabled:  cfg.DeferredRemoval,
		DeferredDeletionEnabled: cfg.DeferredDeletion,
		PoolMode:                st.Mode,
		PoolNeedsCheck:          st.NeedsCheck,
		TransactionID:           st.TransactionID,
	}
	for _, m := range devs {
		if m.ID == BaseID {
			d.BaseDeviceSize = m.Size
		}
		if m.Deleted {
			d.DeferredDeletedCount++
		}
	}
	d.SpaceUnknown = st.Failed
	if info, err := p.env.DM.Info(p.names.Pool); err == nil {
		d.Suspended = info.Suspended()
	}
	d.DataUsed, d.DataTotal = st.DataBytes(d.BlockBytes)
	d.MetadataUsed, d.MetadataTotal = st.MetadataBytes()
	d.MinFreeSpace = MinFreeSpaceBytes(st.TotalDataBlocks, uint64(cfg.MinFreeSpacePercent), d.BlockBytes)
	d.NoWarnOnLoopDevices = cfg.NoWarnOnLoopDevices
	switch p.rec.Mode {
	case ModeAdopted:
		d.ThinPoolDevice = true
	case ModeDirect:
		d.DataFile, d.MetadataFile = cfg.DataDevice, cfg.MetadataDevice
	case ModeLoop:
		d.DataLoopFile, d.MetadataLoopFile = p.store.DataFile(), p.store.MetadataFile()
		for _, f := range []struct {
			file  string
			dev   *string
			free  *uint64
			known *bool
		}{
			{d.DataLoopFile, &d.DataFile, &d.DataLoopFSFree, &d.DataLoopFSFreeKnown},
			{d.MetadataLoopFile, &d.MetadataFile, &d.MetadataLoopFSFree, &d.MetadataLoopFSFreeKnown},
		} {
			ld, found, err := p.env.Sys.FindLoop(f.file)
			if err != nil {
				return DockerInfo{}, fmt.Errorf("pool %s: %w", p.names.Pool, err)
			}
			if found {
				*f.dev = ld.Path
			}
			if free, err := p.env.Sys.FSFree(f.file); err == nil {
				*f.free, *f.known = free, true
			}
		}
	}
	return d, nil
}
