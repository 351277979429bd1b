//go:build linux

package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

// poolInfo prints the pool report of --root: the devicemapper section of
// `docker info`, then dmctl's own keys; in loop mode Docker's loopback
// warning goes to standard error.
func poolInfo(c *cli.Context, out format.Output) error {
	return withControl(func(ctl *dmctl.Control) error {
		opts := pool.OpenOptions{NameWord: c.String(flagPrefix), StorageOpts: multiValues(c, flagStorageOpt)}
		noteStorageOpts(c, opts.StorageOpts)
		p, err := pool.Open(c.String(flagRoot), poolEnv(ctl), opts)
		if err != nil {
			return err
		}
		defer p.Close()
		d, err := p.DockerInfo()
		if err != nil {
			return err
		}
		r := poolInfoRecord(&d)
		if v, err := ctl.Version(); err == nil {
			r.DriverVersion = format.OptString(v.String())
		}
		if tv, err := ctl.TargetVersion("thin-pool"); err == nil {
			r.ThinPoolTargetVersion = format.OptString(tv.Version.String())
		}
		if err := format.PoolInfo(out, r); err != nil {
			return err
		}
		if out.Kind == format.JSON {
			return nil
		}
		for _, w := range d.Warnings() {
			if _, err := fmt.Fprintln(c.App.ErrWriter, w); err != nil {
				return err
			}
		}
		return nil
	})
}

// poolInfoRecord turns the pool's facts into the report's record.
//
// "Udev Sync Supported" asks whether the tool synchronises with udev
// through libdevmapper's cookie semaphores, so that udev has finished with
// a device before it is used. dmctl does not: it waits a bounded time for
// udev's /dev/mapper node and makes the node itself when udev does not (see
// dmctl's nodes_linux.go). So it says false, as a static Docker did.
func poolInfoRecord(d *pool.DockerInfo) format.PoolInfoRecord {
	known := func(n uint64) *uint64 {
		if d.SpaceUnknown {
			return nil
		}
		return &n
	}
	r := format.PoolInfoRecord{
		PoolName:                   d.PoolName,
		Layout:                     string(pool.ModeDirect),
		BlockSizeBytes:             d.BlockBytes,
		BaseDeviceSizeBytes:        d.BaseDeviceSize,
		BackingFilesystem:          d.BackingFilesystem,
		UdevSyncSupported:          false, // see below
		DataDevice:                 format.OptString(d.DataFile),
		MetadataDevice:             format.OptString(d.MetadataFile),
		DataLoopFile:               format.OptString(d.DataLoopFile),
		MetadataLoopFile:           format.OptString(d.MetadataLoopFile),
		DataUsedBytes:              known(d.DataUsed),
		DataTotalBytes:             known(d.DataTotal),
		DataAvailableBytes:         known(d.DataAvailable()),
		MetadataUsedBytes:          known(d.MetadataUsed),
		MetadataTotalBytes:         known(d.MetadataTotal),
		MetadataAvailableBytes:     known(d.MetadataAvailable()),
		MinFreeSpaceBytes:          known(d.MinFreeSpace),
		DeferredRemovalEnabled:     d.DeferredRemovalEnabled,
		DeferredDeletionEnabled:    d.DeferredDeletionEnabled,
		DeferredDeletedDeviceCount: d.DeferredDeletedCount,
		LibraryVersion:             libraryVersion(),
		Mode:                       format.OptString(d.PoolMode),
		TransactionID:              known(d.TransactionID),
		Suspended:                  d.Suspended,
	}
	if !d.SpaceUnknown {
		r.NeedsCheck = &d.PoolNeedsCheck
	}
	switch {
	case d.ThinPoolDevice:
		r.Layout = string(pool.ModeAdopted)
	case d.DataLoopFile != "":
		r.Layout = string(pool.ModeLoop)
	}
	return r
}
