package format

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// PoolRecord is a pool as pool ls, pool create and pool activate report
// it.
type PoolRecord struct {
	PoolName         string    `json:"pool_name" doc:"the pool's device-mapper name"`
	Prefix           string    `json:"prefix" doc:"start of its thin devices' names, PREFIX-MAJ:MIN-INO"`
	Layout           string    `json:"layout" doc:"what data and metadata live on: loop (sparse files), direct (block devices) or adopted (an existing pool)"`
	Active           bool      `json:"active" doc:"the pool is loaded in device-mapper"`
	DockerRoot       bool      `json:"docker_root" doc:"the root is one Docker's driver left, without dmctl's own record"`
	BlockSizeBytes   *uint64   `json:"block_size_bytes" doc:"data block size; null when not known (a Docker root)"`
	Devices          int       `json:"devices" doc:"thin devices recorded, the base device included"`
	DataDevice       OptString `json:"data_device" doc:"block device under the pool's data; null when not known"`
	MetadataDevice   OptString `json:"metadata_device" doc:"block device under the pool's metadata; null when not known"`
	DataLoopFile     OptString `json:"data_loop_file" doc:"loop pools: the sparse data file; null otherwise"`
	MetadataLoopFile OptString `json:"metadata_loop_file" doc:"loop pools: the sparse metadata file; null otherwise"`
	Root             string    `json:"root" doc:"the pool's state directory"`
	BaseDevicePath   string    `json:"base_device_path" doc:"the base device's node, /dev/mapper/PREFIX-base"`
}

// PoolsTable is the table of pool ls.
var PoolsTable TableView = poolsTable

var poolsTable = &table[PoolRecord]{what: "pool ls", cols: []column[PoolRecord]{
	{name: "POOL", about: "the pool's device-mapper name", get: func(r *PoolRecord) cell { return text(r.PoolName) }},
	{name: "LAYOUT", about: "loop, direct or adopted", get: func(r *PoolRecord) cell { return text(r.Layout) }},
	{name: "STATE", about: "active or inactive", get: func(r *PoolRecord) cell { return text(activeWord(r.Active)) }},
	{name: "BLOCK_SIZE", right: true, about: "data block size", get: func(r *PoolRecord) cell { return optSize(r.BlockSizeBytes) }},
	{name: "DEVICES", right: true, about: "thin devices, the base included", get: func(r *PoolRecord) cell { return unsigned(uint64(r.Devices)) }},
	{name: "DATA", about: "the data file (loop pools) or device", get: func(r *PoolRecord) cell { return text(r.dataWhere()) }},
	{name: "METADATA", about: "the metadata file (loop pools) or device", get: func(r *PoolRecord) cell { return text(r.metadataWhere()) }},
	{name: "ROOT", about: "the state directory", get: func(r *PoolRecord) cell { return text(r.Root) }},
	{name: "PREFIX", extra: true, about: "start of the thin devices' names", get: func(r *PoolRecord) cell { return text(r.Prefix) }},
	{name: "BASE_DEVICE", extra: true, about: "the base device's node", get: func(r *PoolRecord) cell { return text(r.BaseDevicePath) }},
	{name: "DATA_DEVICE", extra: true, about: "block device under the data", get: func(r *PoolRecord) cell { return text(string(r.DataDevice)) }},
	{name: "METADATA_DEVICE", extra: true, about: "block device under the metadata", get: func(r *PoolRecord) cell { return text(string(r.MetadataDevice)) }},
	{name: "DOCKER_ROOT", extra: true, about: "yes for a root Docker's driver left", get: func(r *PoolRecord) cell { return yesNo(r.DockerRoot) }},
}}

func (r *PoolRecord) dataWhere() string {
	if r.DataLoopFile != "" {
		return string(r.DataLoopFile)
	}
	return string(r.DataDevice)
}

func (r *PoolRecord) metadataWhere() string {
	if r.MetadataLoopFile != "" {
		return string(r.MetadataLoopFile)
	}
	return string(r.MetadataDevice)
}

func activeWord(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}

// Pools prints pool ls.
func Pools(out Output, recs []PoolRecord) error {
	k, err := out.Kind.resolve("pool ls")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "pool ls", nonNil(recs))
	}
	return poolsTable.write(out, recs)
}

// Pool prints one pool, as pool create and pool activate report it: for
// people its names and where it lives, one "Key: value" a line; JSON the
// record.
func Pool(out Output, r PoolRecord) error {
	k, err := out.Kind.resolve("pool")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "pool", r)
	}
	return writePairs(out.W, "pool", "", [][2]string{
		{"Pool", r.PoolName},
		{"Layout", r.Layout},
		{"Root", r.Root},
		{"Prefix", r.Prefix},
		{"Base Device", r.BaseDevicePath},
	})
}

// ExtendRecord is what pool extend did.
type ExtendRecord struct {
	DataSizeBytes     uint64 `json:"data_size_bytes" doc:"the pool's data size now"`
	MetadataSizeBytes uint64 `json:"metadata_size_bytes" doc:"the pool's metadata size now"`
	Reloaded          bool   `json:"reloaded" doc:"the pool's table was reloaded to take the new size"`
}

// Extend prints pool extend's result.
func Extend(out Output, r ExtendRecord) error {
	k, err := out.Kind.resolve("pool extend")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "pool extend", r)
	}
	return writePairs(out.W, "pool extend", "", [][2]string{
		{"Data Size", humanBytes(r.DataSizeBytes)},
		{"Metadata Size", humanBytes(r.MetadataSizeBytes)},
		{"Reloaded", strconv.FormatBool(r.Reloaded)},
	})
}

// PoolInfoRecord is the pool report of info: the devicemapper section of
// `docker info`, then dmctl's own facts. The space figures are null when
// the pool reports none (fail or error mode).
type PoolInfoRecord struct {
	PoolName                   string    `json:"pool_name" doc:"the pool's device-mapper name (Pool Name)"`
	Layout                     string    `json:"layout" doc:"what data and metadata live on: loop, direct or adopted (dm.thinpooldev)"`
	BlockSizeBytes             uint64    `json:"block_size_bytes" doc:"data block size (Pool Blocksize)"`
	BaseDeviceSizeBytes        uint64    `json:"base_device_size_bytes" doc:"size of the base device (Base Device Size)"`
	BackingFilesystem          string    `json:"backing_filesystem" doc:"filesystem of the base device (Backing Filesystem)"`
	UdevSyncSupported          bool      `json:"udev_sync_supported" doc:"dmctl waits for udev through libdevmapper's cookies (Udev Sync Supported): false"`
	DataDevice                 OptString `json:"data_device" doc:"block device under the pool's data (Data file); null when not known"`
	MetadataDevice             OptString `json:"metadata_device" doc:"block device under the pool's metadata (Metadata file); null when not known"`
	DataLoopFile               OptString `json:"data_loop_file" doc:"the sparse file behind the data device (Data loop file); null for other pools"`
	MetadataLoopFile           OptString `json:"metadata_loop_file" doc:"the sparse file behind the metadata device (Metadata loop file); null for other pools"`
	DataUsedBytes              *uint64   `json:"data_used_bytes" doc:"data space in use (Data Space Used); null when the pool reports none"`
	DataTotalBytes             *uint64   `json:"data_total_bytes" doc:"data space (Data Space Total); null when the pool reports none"`
	DataAvailableBytes         *uint64   `json:"data_available_bytes" doc:"data space still available, capped by the free space under a loop file (Data Space Available); null when the pool reports none"`
	MetadataUsedBytes          *uint64   `json:"metadata_used_bytes" doc:"metadata space in use (Metadata Space Used); null when the pool reports none"`
	MetadataTotalBytes         *uint64   `json:"metadata_total_bytes" doc:"metadata space (Metadata Space Total); null when the pool reports none"`
	MetadataAvailableBytes     *uint64   `json:"metadata_available_bytes" doc:"metadata space still available (Metadata Space Available); null when the pool reports none"`
	MinFreeSpaceBytes          *uint64   `json:"min_free_space_bytes" doc:"free data space below which snapshots are refused (Thin Pool Minimum Free Space); null when the pool reports none"`
	DeferredRemovalEnabled     bool      `json:"deferred_removal_enabled" doc:"Deferred Removal Enabled"`
	DeferredDeletionEnabled    bool      `json:"deferred_deletion_enabled" doc:"Deferred Deletion Enabled"`
	DeferredDeletedDeviceCount uint64    `json:"deferred_deleted_device_count" doc:"devices whose deletion is deferred (Deferred Deleted Device Count)"`
	LibraryVersion             string    `json:"library_version" doc:"what dmctl reports where Docker named libdevmapper (Library Version)"`
	DriverVersion              OptString `json:"driver_version" doc:"the kernel's device-mapper ioctl interface version; null when not known"`
	ThinPoolTargetVersion      OptString `json:"thin_pool_target_version" doc:"the kernel's thin-pool target version; null when not known"`
	Mode                       OptString `json:"mode" doc:"the pool's mode from its status: rw, ro, out_of_data_space or fail; null when not known"`
	NeedsCheck                 *bool     `json:"needs_check" doc:"the metadata needs checking before the pool can go read-write; null when the pool reports none"`
	TransactionID              *uint64   `json:"transaction_id" doc:"the pool's metadata transaction id; null when the pool reports none"`
	Suspended                  bool      `json:"suspended" doc:"the pool is suspended: I/O to its thin devices waits until it is resumed"`
}

// PoolInfo prints the pool report. Table (and Dmsetup) print what `docker
// info` printed for the devicemapper driver (Docker 17.10 to 24.0): a
// "Storage Driver: devicemapper" line, then "  Key: value" lines in
// Docker's order with sizes as go-units HumanSize ("65.54kB"); Data file,
// Metadata file, the loop files and the versions only when known, except
// that an adopted pool (dm.thinpooldev) always shows empty Data file and
// Metadata file lines, as Docker did. Figures the pool does not report
// print "unknown". dmctl's own keys follow: Kernel Driver Version, Thin
// Pool Target Version, Pool Mode, Pool Needs Check and Transaction ID when
// the mode is known, and Pool State: SUSPENDED for a suspended pool. JSON
// prints the record.
func PoolInfo(out Output, r PoolInfoRecord) error {
	k, err := out.Kind.resolve("info")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "info", r)
	}
	size := func(n *uint64) string {
		if n == nil {
			return unknown
		}
		return DockerSize(float64(*n))
	}
	pairs := [][2]string{
		{"Pool Name", r.PoolName},
		{"Pool Blocksize", DockerSize(float64(r.BlockSizeBytes))},
		{"Base Device Size", DockerSize(float64(r.BaseDeviceSizeBytes))},
		{"Backing Filesystem", r.BackingFilesystem},
		{"Udev Sync Supported", strconv.FormatBool(r.UdevSyncSupported)},
	}
	opt := func(key string, v OptString) {
		if v != "" {
			pairs = append(pairs, [2]string{key, string(v)})
		}
	}
	if r.Layout == "adopted" {
		pairs = append(pairs, [2]string{"Data file", string(r.DataDevice)}, [2]string{"Metadata file", string(r.MetadataDevice)})
	} else {
		opt("Data file", r.DataDevice)
		opt("Metadata file", r.MetadataDevice)
	}
	opt("Data loop file", r.DataLoopFile)
	opt("Metadata loop file", r.MetadataLoopFile)
	pairs = append(pairs, [][2]string{
		{"Data Space Used", size(r.DataUsedBytes)},
		{"Data Space Total", size(r.DataTotalBytes)},
		{"Data Space Available", size(r.DataAvailableBytes)},
		{"Metadata Space Used", size(r.MetadataUsedBytes)},
		{"Metadata Space Total", size(r.MetadataTotalBytes)},
		{"Metadata Space Available", size(r.MetadataAvailableBytes)},
		{"Thin Pool Minimum Free Space", size(r.MinFreeSpaceBytes)},
		{"Deferred Removal Enabled", strconv.FormatBool(r.DeferredRemovalEnabled)},
		{"Deferred Deletion Enabled", strconv.FormatBool(r.DeferredDeletionEnabled)},
		{"Deferred Deleted Device Count", strconv.FormatUint(r.DeferredDeletedDeviceCount, 10)},
	}...)
	opt("Library Version", OptString(r.LibraryVersion))
	opt("Kernel Driver Version", r.DriverVersion)
	opt("Thin Pool Target Version", r.ThinPoolTargetVersion)
	if r.Mode != "" {
		needsCheck, txn := unknown, unknown
		if r.NeedsCheck != nil {
			needsCheck = strconv.FormatBool(*r.NeedsCheck)
		}
		if r.TransactionID != nil {
			txn = strconv.FormatUint(*r.TransactionID, 10)
		}
		pairs = append(pairs,
			[2]string{"Pool Mode", string(r.Mode)},
			[2]string{"Pool Needs Check", needsCheck},
			[2]string{"Transaction ID", txn})
	}
	if r.Suspended {
		pairs = append(pairs, [2]string{"Pool State", "SUSPENDED"})
	}
	var b bytes.Buffer
	b.WriteString("Storage Driver: devicemapper\n")
	for _, p := range pairs {
		fmt.Fprintf(&b, "  %s: %s\n", p[0], p[1])
	}
	return flush(out.W, "info", &b)
}

// unknown stands for a figure the pool did not report.
const unknown = "unknown"

// DockerSize prints a size (in bytes) in decimal units with 4 significant
// digits and no space, exactly as Docker's go-units HumanSize does and
// `docker info` prints it: 65536 is "65.54kB", 100 GiB is "107.4GB".
func DockerSize(size float64) string {
	units := [...]string{"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
	i := 0
	for size >= 1000 && i < len(units)-1 {
		size /= 1000
		i++
	}
	return fmt.Sprintf("%.4g%s", size, units[i])
}

// writePairs prints "Key: value" lines, under "TITLE:" and indented by two
// blanks when title is set.
func writePairs(w io.Writer, what, title string, pairs [][2]string) error {
	var b bytes.Buffer
	indent := ""
	if title != "" {
		b.WriteString(title + ":\n")
		indent = "  "
	}
	for _, p := range pairs {
		b.WriteString(indent + p[0] + ": " + p[1] + "\n")
	}
	return flush(w, what, &b)
}
