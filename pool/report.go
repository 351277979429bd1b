//go:build linux

package pool

// MinFreeSpaceBytes returns the space Docker kept free in a pool (its
// dm.min_free_space): percent of the data blocks, rounded down to whole
// blocks, times the block size.
func MinFreeSpaceBytes(totalDataBlocks, percent, blockBytes uint64) uint64 {
	return totalDataBlocks * percent / 100 * blockBytes
}

// DockerInfo holds what the devicemapper section of `docker info` is
// computed from, plus what dmctl adds to it. Sizes are in bytes.
type DockerInfo struct {
	PoolName          string
	BlockBytes        uint64 // data block size ("Pool Blocksize")
	BaseDeviceSize    uint64
	BackingFilesystem string // filesystem of the base device, e.g. "xfs"

	DataFile         string // block device under the pool's data, e.g. /dev/loop0; may be empty
	MetadataFile     string // block device under the pool's metadata; may be empty
	DataLoopFile     string // file behind DataFile when it is a loop device; empty otherwise
	MetadataLoopFile string // file behind MetadataFile when it is a loop device; empty otherwise
	// ThinPoolDevice is set for a pool given with dm.thinpooldev. Docker
	// printed its Data file and Metadata file lines empty, and its
	// documentation tells admins to look for exactly that.
	ThinPoolDevice bool
	// NoWarnOnLoopDevices silences the loopback warning
	// (dm.no_warn_on_loop_devices).
	NoWarnOnLoopDevices bool

	DataUsed, DataTotal         uint64
	MetadataUsed, MetadataTotal uint64

	// Free space of the filesystems holding the loop files (statfs
	// Bfree*Bsize). When the matching loop file is set and the value is
	// known, it caps the available space, as Docker did: a sparse loop file
	// cannot grow past the free space of its filesystem.
	DataLoopFSFree, MetadataLoopFSFree           uint64
	DataLoopFSFreeKnown, MetadataLoopFSFreeKnown bool

	MinFreeSpace            uint64 // see MinFreeSpaceBytes
	DeferredRemovalEnabled  bool
	DeferredDeletionEnabled bool
	DeferredDeletedCount    uint64
	PoolMode                string // from the pool status; "" when the status is unknown
	PoolNeedsCheck          bool   // reported only with PoolMode
	TransactionID           uint64 // reported only with PoolMode
	// SpaceUnknown is set when the pool reports no usage (fail or error
	// mode): the space, free-space, needs-check and transaction figures
	// are then unknown (null in JSON), never zeros.
	SpaceUnknown bool
	// Suspended is set when the pool is suspended: I/O to its devices
	// waits until it is resumed.
	Suspended bool
}

// DataAvailable returns the data space still available: total minus used,
// capped by the free space of the data loop file's filesystem.
func (d *DockerInfo) DataAvailable() uint64 {
	return available(d.DataTotal, d.DataUsed, d.DataLoopFile, d.DataLoopFSFree, d.DataLoopFSFreeKnown)
}

// MetadataAvailable returns the metadata space still available: total
// minus used, capped by the free space of the metadata loop file's
// filesystem.
func (d *DockerInfo) MetadataAvailable() uint64 {
	return available(d.MetadataTotal, d.MetadataUsed, d.MetadataLoopFile, d.MetadataLoopFSFree, d.MetadataLoopFSFreeKnown)
}

func available(total, used uint64, loopFile string, fsFree uint64, known bool) uint64 {
	var a uint64
	if total > used {
		a = total - used
	}
	if loopFile != "" && known && fsFree < a {
		a = fsFree
	}
	return a
}

// Warnings returns the warning lines `docker info` prints for this pool
// (LoopbackWarning when the data device is a loop file, unless
// NoWarnOnLoopDevices), then dmctl's own for a suspended pool, or nil.
func (d *DockerInfo) Warnings() []string {
	var w []string
	if d.DataLoopFile != "" && !d.NoWarnOnLoopDevices {
		w = LoopbackWarning()
	}
	if d.Suspended {
		w = append(w, "WARNING: pool "+d.PoolName+" is SUSPENDED: I/O to its thin devices waits until it is resumed (dmctl resume "+d.PoolName+").")
	}
	return w
}

// LoopbackWarning returns the two lines `docker info` prints (to standard
// error, after the report) for a devicemapper pool on loop files.
func LoopbackWarning() []string {
	return []string{
		"WARNING: devicemapper: usage of loopback devices is strongly discouraged for production use.",
		"         Use `--storage-opt dm.thinpooldev` to specify a custom block storage device.",
	}
}
