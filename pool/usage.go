package pool

import (
	"errors"
	"fmt"

	"github.com/dmctl/dmctl/pool/thinmeta"
)

// ThinView is the pool's own view of its thin devices, read online from a
// metadata snapshot: every thin id with its usage (what thin_ls -m shows).
type ThinView struct {
	TransactionID uint64                       // of the snapshot's superblock
	Devices       map[int]thinmeta.DeviceUsage // by thin id
}

// ReadThinView reserves a metadata snapshot (reserve_metadata_snap), reads
// every thin device's mapped, exclusive and shared blocks from it on the
// metadata device, and releases it. The live pool is not suspended: the
// snapshot is a consistent copy the kernel keeps until it is released.
func (p *Pool) ReadThinView() (view ThinView, retErr error) {
	if err := p.requireActive(); err != nil {
		return view, err
	}
	_, table, err := p.poolTable()
	if err != nil {
		return view, err
	}
	metaPath := blockPath(table.MetadataDev)
	if metaPath == "" {
		return view, fmt.Errorf("pool %s: cannot find the node of its metadata device %s", p.names.Pool, table.MetadataDev)
	}
	if _, err := p.env.DM.Message(p.names.Pool, 0, "reserve_metadata_snap"); err != nil {
		return view, fmt.Errorf("pool %s: %w", p.names.Pool, err)
	}
	defer func() {
		if _, err := p.env.DM.Message(p.names.Pool, 0, "release_metadata_snap"); err != nil {
			retErr = errors.Join(retErr, fmt.Errorf("pool %s: %w", p.names.Pool, err))
		}
	}()
	f, err := thinmeta.OpenDevice(metaPath)
	if err != nil {
		return view, fmt.Errorf("pool %s metadata: %w", p.names.Pool, err)
	}
	defer f.Close()
	snap, err := f.Snapshot()
	if err != nil {
		return view, fmt.Errorf("pool %s metadata snapshot: %w", p.names.Pool, err)
	}
	usage, err := snap.Usage()
	if err != nil {
		return view, fmt.Errorf("pool %s metadata snapshot: %w", p.names.Pool, err)
	}
	view.TransactionID = snap.Superblock().TransactionID
	view.Devices = make(map[int]thinmeta.DeviceUsage, len(usage))
	for _, u := range usage {
		view.Devices[int(u.Details.ID)] = u
	}
	return view, nil
}
