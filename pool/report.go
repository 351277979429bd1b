package pool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// HumanSize returns size (in bytes) in decimal units with 4 significant
// digits and no space, exactly as Docker's go-units HumanSize does and
// `docker info` prints it: 65536 is "65.54kB", 100 GiB is "107.4GB".
func HumanSize(size float64) string {
	units := [...]string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	i := 0
	for size >= 1000 && i < len(units)-1 {
		size /= 1000
		i++
	}
	return fmt.Sprintf("%.4g%s", size, units[i])
}

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
	UdevSyncSupported bool

	DataFile         string // block device under the pool's data, e.g. /dev/loop0; may be empty
	MetadataFile     string // block device under the pool's metadata; may be empty
	DataLoopFile     string // file behind DataFile when it is a loop device; empty otherwise
	MetadataLoopFile string // file behind MetadataFile when it is a loop device; empty otherwise
	// ThinPoolDevice is set for a pool given with dm.thinpooldev. Docker
	// printed its Data file and Metadata file lines empty, and its
	// documentation tells admins to look for exactly that.
	ThinPoolDevice bool

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
	LibraryVersion          string // omitted when empty
	KernelDriverVersion     string // device-mapper ioctl version, e.g. "4.48.0"; omitted when empty
	ThinPoolTargetVersion   string // thin-pool target version, e.g. "1.23.0"; omitted when empty
	PoolMode                string // from the pool status; "" when the status is unknown
	PoolNeedsCheck          bool   // reported only with PoolMode
	TransactionID           uint64 // reported only with PoolMode
	// SpaceUnknown is set when the pool reports no usage (fail or error
	// mode): the space, free-space, needs-check and transaction figures
	// are then "unknown" (null in JSON), never zeros.
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

// InfoPair is one key and value of a report.
type InfoPair struct {
	Key   string
	Value any // a string in text reports; a string, bool or uint64 in JSON reports
}

// InfoPairs is an ordered report. It marshals to a JSON object whose keys
// keep their order.
type InfoPairs []InfoPair

// MarshalJSON encodes the pairs as one JSON object, in order.
func (p InfoPairs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv.Key)
		if err != nil {
			return nil, fmt.Errorf("encode report key %q: %w", kv.Key, err)
		}
		v, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("encode report value of %q: %w", kv.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Pairs returns the report as `docker info` shows it: Docker's keys, in
// Docker's order (as of Docker 17.10 to 24.0), with sizes through
// HumanSize and booleans as true or false. Data file, Metadata file, the
// loop files and Library Version appear only when set, except that a
// dm.thinpooldev pool always shows empty Data file and Metadata file
// lines, as Docker showed them. dmctl's own keys
// follow: Kernel Driver Version and Thin Pool Target Version when set, and
// Pool Mode, Pool Needs Check and Transaction ID when the pool mode is
// known.
func (d *DockerInfo) Pairs() InfoPairs {
	p := InfoPairs{
		{"Pool Name", d.PoolName},
		{"Pool Blocksize", HumanSize(float64(d.BlockBytes))},
		{"Base Device Size", HumanSize(float64(d.BaseDeviceSize))},
		{"Backing Filesystem", d.BackingFilesystem},
		{"Udev Sync Supported", strconv.FormatBool(d.UdevSyncSupported)},
	}
	if d.ThinPoolDevice {
		p = append(p, InfoPair{"Data file", d.DataFile}, InfoPair{"Metadata file", d.MetadataFile})
	} else {
		p = appendIfSet(p, "Data file", d.DataFile)
		p = appendIfSet(p, "Metadata file", d.MetadataFile)
	}
	p = appendIfSet(p, "Data loop file", d.DataLoopFile)
	p = appendIfSet(p, "Metadata loop file", d.MetadataLoopFile)
	size := func(v uint64) string {
		if d.SpaceUnknown {
			return unknown
		}
		return HumanSize(float64(v))
	}
	p = append(p,
		InfoPair{"Data Space Used", size(d.DataUsed)},
		InfoPair{"Data Space Total", size(d.DataTotal)},
		InfoPair{"Data Space Available", size(d.DataAvailable())},
		InfoPair{"Metadata Space Used", size(d.MetadataUsed)},
		InfoPair{"Metadata Space Total", size(d.MetadataTotal)},
		InfoPair{"Metadata Space Available", size(d.MetadataAvailable())},
		InfoPair{"Thin Pool Minimum Free Space", size(d.MinFreeSpace)},
		InfoPair{"Deferred Removal Enabled", strconv.FormatBool(d.DeferredRemovalEnabled)},
		InfoPair{"Deferred Deletion Enabled", strconv.FormatBool(d.DeferredDeletionEnabled)},
		InfoPair{"Deferred Deleted Device Count", strconv.FormatUint(d.DeferredDeletedCount, 10)},
	)
	p = appendIfSet(p, "Library Version", d.LibraryVersion)
	p = appendIfSet(p, "Kernel Driver Version", d.KernelDriverVersion)
	p = appendIfSet(p, "Thin Pool Target Version", d.ThinPoolTargetVersion)
	if d.PoolMode != "" {
		needsCheck, txn := strconv.FormatBool(d.PoolNeedsCheck), strconv.FormatUint(d.TransactionID, 10)
		if d.SpaceUnknown {
			needsCheck, txn = unknown, unknown
		}
		p = append(p,
			InfoPair{"Pool Mode", d.PoolMode},
			InfoPair{"Pool Needs Check", needsCheck},
			InfoPair{"Transaction ID", txn},
		)
	}
	if d.Suspended {
		p = append(p, InfoPair{"Pool State", "SUSPENDED"})
	}
	return p
}

// unknown stands for a figure the pool did not report.
const unknown = "unknown"

func appendIfSet(p InfoPairs, key, value string) InfoPairs {
	if value == "" {
		return p
	}
	return append(p, InfoPair{key, value})
}

// JSONPairs returns the report for machine reading: the same facts as
// Pairs, in the same order, under stable snake_case keys, with sizes as
// integer bytes and booleans as JSON booleans. Every key is always present
// (empty strings for unset paths and versions).
func (d *DockerInfo) JSONPairs() InfoPairs {
	// Figures the pool did not report are null.
	known := func(v any) any {
		if d.SpaceUnknown {
			return nil
		}
		return v
	}
	return InfoPairs{
		{"pool_name", d.PoolName},
		{"pool_blocksize_bytes", d.BlockBytes},
		{"base_device_size_bytes", d.BaseDeviceSize},
		{"backing_filesystem", d.BackingFilesystem},
		{"udev_sync_supported", d.UdevSyncSupported},
		{"data_file", d.DataFile},
		{"metadata_file", d.MetadataFile},
		{"data_loop_file", d.DataLoopFile},
		{"metadata_loop_file", d.MetadataLoopFile},
		{"data_space_used_bytes", known(d.DataUsed)},
		{"data_space_total_bytes", known(d.DataTotal)},
		{"data_space_available_bytes", known(d.DataAvailable())},
		{"metadata_space_used_bytes", known(d.MetadataUsed)},
		{"metadata_space_total_bytes", known(d.MetadataTotal)},
		{"metadata_space_available_bytes", known(d.MetadataAvailable())},
		{"thin_pool_minimum_free_space_bytes", known(d.MinFreeSpace)},
		{"deferred_removal_enabled", d.DeferredRemovalEnabled},
		{"deferred_deletion_enabled", d.DeferredDeletionEnabled},
		{"deferred_deleted_device_count", d.DeferredDeletedCount},
		{"library_version", d.LibraryVersion},
		{"kernel_driver_version", d.KernelDriverVersion},
		{"thin_pool_target_version", d.ThinPoolTargetVersion},
		{"pool_mode", d.PoolMode},
		{"pool_needs_check", known(d.PoolNeedsCheck)},
		{"transaction_id", known(d.TransactionID)},
		{"pool_suspended", d.Suspended},
	}
}

// Warnings returns the warning lines `docker info` prints for this pool
// (LoopbackWarning when the data device is a loop file), then dmctl's own
// for a suspended pool, or nil.
func (d *DockerInfo) Warnings() []string {
	var w []string
	if d.DataLoopFile != "" {
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
