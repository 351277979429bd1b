//go:build linux

package pool

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Docker's defaults (moby daemon/graphdriver/devmapper/deviceset.go).
const (
	DefaultDataLoopSize        = 100 * GiB // sparse data file of a loop pool
	DefaultMetadataLoopSize    = 2 * GiB   // sparse metadata file of a loop pool
	DefaultBaseSize            = 10 * GiB  // base device
	DefaultBlockSize           = 64 * KiB  // pool data block (128 sectors)
	DefaultLowWaterMark        = 32768     // free data blocks before the kernel's event
	DefaultMinFreeSpacePercent = 10        // dm.min_free_space
)

// Limits of the pool's data block size.
const (
	MinBlockSize = 64 * KiB
	MaxBlockSize = 1 * GiB
)

// Filesystems the base device can be made with.
const (
	FSExt4 = "ext4"
	FSXFS  = "xfs"
)

// Mode says what a pool's data and metadata live on.
type Mode string

// The pool modes.
const (
	// ModeLoop keeps data and metadata in sparse files under the root,
	// attached through loop devices (Docker's "loop-lvm").
	ModeLoop Mode = "loop"
	// ModeDirect builds the pool on two block devices (dm.datadev and
	// dm.metadatadev).
	ModeDirect Mode = "direct"
	// ModeAdopted uses an existing thin pool (dm.thinpooldev) that dmctl
	// neither creates nor removes.
	ModeAdopted Mode = "adopted"
)

// Config holds every setting of a pool. DefaultConfig returns Docker's
// defaults; ApplyStorageOpts applies Docker's --storage-opt spelling.
type Config struct {
	// NameWord replaces "docker" at the start of device names.
	NameWord string `json:"name_word"`
	// DataLoopSize and MetadataLoopSize are the sizes of the sparse
	// files of a loop pool (dm.loopdatasize, dm.loopmetadatasize).
	DataLoopSize     uint64 `json:"data_loop_size,omitempty"`
	MetadataLoopSize uint64 `json:"metadata_loop_size,omitempty"`
	// BaseSize is the size of the base device (dm.basesize); snapshots
	// are at least as large.
	BaseSize uint64 `json:"base_size"`
	// BlockSize is the pool's data block size in bytes (dm.blocksize).
	BlockSize uint64 `json:"block_size"`
	// LowWaterMark is the number of free data blocks below which the
	// kernel raises an event.
	LowWaterMark uint64 `json:"low_water_mark"`
	// Filesystem is made on the base device: "xfs" or "ext4" (dm.fs).
	Filesystem string `json:"filesystem"`
	// MkfsArgs are extra arguments to mkfs (dm.mkfsarg).
	MkfsArgs []string `json:"mkfs_args,omitempty"`
	// MountOptions are added to every mount (dm.mountopt).
	MountOptions string `json:"mount_options,omitempty"`
	// BlkDiscard discards a device's blocks before deleting it, giving
	// the space back to a loop file (dm.blkdiscard). Nil means Docker's
	// default: on for loop pools, off on block devices; see Discard.
	BlkDiscard *bool `json:"blkdiscard,omitempty"`
	// MinFreeSpacePercent refuses new snapshots when less than this share
	// of the pool's data or metadata is free (dm.min_free_space).
	MinFreeSpacePercent uint32 `json:"min_free_space_percent"`
	// DeferredRemoval removes busy devices when their last user closes
	// them (dm.use_deferred_removal).
	DeferredRemoval bool `json:"deferred_removal"`
	// DeferredDeletion marks a busy device deleted and deletes its thin
	// id later (dm.use_deferred_deletion); needs DeferredRemoval.
	DeferredDeletion bool `json:"deferred_deletion"`
	// DataDevice and MetadataDevice are block devices for a direct pool
	// (dm.datadev, dm.metadatadev).
	DataDevice     string `json:"data_device,omitempty"`
	MetadataDevice string `json:"metadata_device,omitempty"`
	// ThinPoolDevice names an existing thin pool to adopt (dm.thinpooldev):
	// its device-mapper name, or before ResolveThinPoolDevice any node of
	// it (/dev/mapper/NAME, LVM's /dev/VG/LV).
	ThinPoolDevice string `json:"thin_pool_device,omitempty"`
	// DirectIO attaches loop devices with direct I/O, bypassing the page
	// cache of the backing files.
	DirectIO bool `json:"direct_io,omitempty"`
	// DirectLVM has Create set the pool up with LVM on a block device
	// first, as Docker 17.06+ did (dm.directlvm_device, dm.thinp_percent,
	// dm.thinp_metapercent, dm.thinp_autoextend_threshold,
	// dm.thinp_autoextend_percent); the pool is then adopted. Recorded
	// with Docker's defaults filled in.
	DirectLVM *DirectLVMConfig `json:"direct_lvm,omitempty"`
	// NoWarnOnLoopDevices silences the loopback warning of info
	// (dm.no_warn_on_loop_devices).
	NoWarnOnLoopDevices bool `json:"no_warn_on_loop_devices,omitempty"`
	// XFSNospaceMaxRetries is written, when set, to the xfs error
	// configuration of every xfs device mounted: how often xfs retries a
	// metadata write a full pool refused (dm.xfs_nospace_max_retries).
	XFSNospaceMaxRetries string `json:"xfs_nospace_max_retries,omitempty"`
	// LibdmLogLevel is Docker's dm.libdm_log_level, accepted for
	// compatibility: dmctl has no libdevmapper. Not recorded.
	LibdmLogLevel int `json:"-"`
	// DirectLVMForce lets Create wipe a direct-lvm device that holds a
	// filesystem, partition table or LVM label
	// (dm.directlvm_device_force). Not recorded.
	DirectLVMForce bool `json:"-"`
}

// DefaultConfig returns Docker's defaults. The filesystem is xfs when
// mkfs.xfs is in $PATH, else ext4.
func DefaultConfig() Config {
	return defaultConfig(DefaultFilesystem(SystemProgram))
}

func defaultConfig(fs string) Config {
	return Config{
		NameWord:            DefaultNameWord,
		DataLoopSize:        DefaultDataLoopSize,
		MetadataLoopSize:    DefaultMetadataLoopSize,
		BaseSize:            DefaultBaseSize,
		BlockSize:           DefaultBlockSize,
		LowWaterMark:        DefaultLowWaterMark,
		Filesystem:          fs,
		MinFreeSpacePercent: DefaultMinFreeSpacePercent,
		DeferredRemoval:     true,
		DeferredDeletion:    true,
	}
}

// DefaultFilesystem returns "xfs" when lookPath finds mkfs.xfs, else
// "ext4", as Docker chose.
func DefaultFilesystem(lookPath func(string) (string, error)) string {
	if _, err := lookPath("mkfs.xfs"); err == nil {
		return FSXFS
	}
	return FSExt4
}

// Mode returns the pool mode the settings describe.
func (c Config) Mode() Mode {
	switch {
	case c.ThinPoolDevice != "" || c.DirectLVM != nil:
		return ModeAdopted
	case c.DataDevice != "" || c.MetadataDevice != "":
		return ModeDirect
	}
	return ModeLoop
}

// Discard reports whether devices are discarded before they are deleted:
// BlkDiscard when set, else on for loop pools and off when the data is on a
// block device or the pool is adopted, as Docker decided.
func (c Config) Discard() bool {
	if c.BlkDiscard != nil {
		return *c.BlkDiscard
	}
	return c.Mode() == ModeLoop
}

// BlockSectors returns the block size in 512-byte sectors.
func (c Config) BlockSectors() uint64 { return c.BlockSize / 512 }

// Validate checks the settings and returns every problem, one per line.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := ValidateNameWord(c.NameWord); err != nil {
		errs = append(errs, err)
	}
	if c.Mode() == ModeLoop {
		if c.DataLoopSize == 0 {
			add("dm.loopdatasize must be greater than 0")
		}
		if c.MetadataLoopSize == 0 {
			add("dm.loopmetadatasize must be greater than 0")
		}
	}
	if c.BaseSize == 0 {
		add("dm.basesize must be greater than 0")
	} else if c.BaseSize%512 != 0 {
		add("dm.basesize %d is not a multiple of 512 bytes", c.BaseSize)
	}
	if c.BlockSize < MinBlockSize || c.BlockSize > MaxBlockSize || c.BlockSize%MinBlockSize != 0 {
		add("dm.blocksize %d: must be a multiple of 64K between 64K and 1G", c.BlockSize)
	}
	if c.LowWaterMark == 0 && c.Mode() != ModeAdopted {
		// An adopted pool keeps its owner's mark, which may be 0 (LVM's).
		add("low water mark must be greater than 0 blocks")
	}
	if c.Filesystem != FSExt4 && c.Filesystem != FSXFS {
		add("dm.fs %q: unsupported filesystem (want ext4 or xfs)", c.Filesystem)
	}
	if c.MinFreeSpacePercent > 99 {
		add("dm.min_free_space %d%%: must be between 0%% and 99%%", c.MinFreeSpacePercent)
	}
	if c.DeferredDeletion && !c.DeferredRemoval {
		add("dm.use_deferred_deletion needs dm.use_deferred_removal")
	}
	if c.ThinPoolDevice != "" && (c.DataDevice != "" || c.MetadataDevice != "") {
		add("dm.thinpooldev cannot be combined with dm.datadev or dm.metadatadev")
	}
	if c.DirectLVM != nil {
		errs = append(errs, c.DirectLVM.validate()...)
		if c.ThinPoolDevice != "" {
			add("cannot setup direct-lvm when `dm.thinpooldev` is also specified")
		}
		if c.DataDevice != "" || c.MetadataDevice != "" {
			add("cannot setup direct-lvm when `dm.datadev` or `dm.metadatadev` is also specified")
		}
	}
	if (c.DataDevice == "") != (c.MetadataDevice == "") && c.ThinPoolDevice == "" {
		add("dm.datadev and dm.metadatadev must be given together")
	}
	if c.ThinPoolDevice != "" && strings.ContainsRune(c.ThinPoolDevice, '/') && !strings.HasPrefix(c.ThinPoolDevice, "/dev/") {
		add("dm.thinpooldev %q: want a device-mapper name or a device path under /dev", c.ThinPoolDevice)
	}
	return errors.Join(errs...)
}

// ApplyStorageOpts applies options in Docker's --storage-opt spelling
// ("dm.basesize=20G") to c. Keys are case-insensitive; dm.mkfsarg and
// dm.mountopt may repeat. Every bad option is reported, one per line.
func (c *Config) ApplyStorageOpts(opts []string) error {
	var errs []error
	for _, o := range opts {
		if err := c.applyStorageOpt(o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// splitStorageOpt splits "key=value", lower-casing the key.
func splitStorageOpt(opt string) (key, val string, err error) {
	key, val, ok := strings.Cut(opt, "=")
	if !ok {
		return "", "", fmt.Errorf("storage option %q: want key=value", opt)
	}
	return strings.ToLower(strings.TrimSpace(key)), val, nil
}

func (c *Config) applyStorageOpt(opt string) error {
	key, val, err := splitStorageOpt(opt)
	if err != nil {
		return err
	}
	size := func(dst *uint64) error {
		n, err := ParseSize(val)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if n == 0 {
			return fmt.Errorf("%s: size must be greater than 0", key)
		}
		*dst = n
		return nil
	}
	boolean := func(dst *bool) error {
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("%s: %q is not a boolean", key, val)
		}
		*dst = b
		return nil
	}
	switch key {
	case "dm.basesize":
		return size(&c.BaseSize)
	case "dm.loopdatasize":
		return size(&c.DataLoopSize)
	case "dm.loopmetadatasize":
		return size(&c.MetadataLoopSize)
	case "dm.blocksize":
		return size(&c.BlockSize)
	case "dm.fs":
		fs := strings.ToLower(val)
		if fs != FSExt4 && fs != FSXFS {
			return fmt.Errorf("dm.fs %q: unsupported filesystem (want ext4 or xfs)", val)
		}
		c.Filesystem = fs
	case "dm.mkfsarg":
		c.MkfsArgs = append(c.MkfsArgs, val)
	case "dm.mountopt":
		c.MountOptions = joinMountOptions(c.MountOptions, val)
	case "dm.blkdiscard":
		var b bool
		if err := boolean(&b); err != nil {
			return err
		}
		c.BlkDiscard = &b
	case "dm.min_free_space":
		num, ok := strings.CutSuffix(val, "%")
		if !ok {
			return fmt.Errorf("dm.min_free_space %q: needs a %% suffix", val)
		}
		p, err := strconv.ParseUint(num, 10, 32)
		if err != nil || p > 99 {
			return fmt.Errorf("dm.min_free_space %q: must be between 0%% and 99%%", val)
		}
		c.MinFreeSpacePercent = uint32(p)
	case "dm.use_deferred_removal":
		return boolean(&c.DeferredRemoval)
	case "dm.use_deferred_deletion":
		return boolean(&c.DeferredDeletion)
	case "dm.datadev":
		c.DataDevice = val
	case "dm.metadatadev":
		c.MetadataDevice = val
	case "dm.thinpooldev":
		c.ThinPoolDevice = strings.TrimPrefix(val, "/dev/mapper/")
	case "dm.override_udev_sync_check":
		// dmctl does not depend on libdevmapper's udev sync, so there is
		// no check to override; accepted so Docker's settings still work.
		var b bool
		return boolean(&b)
	case "dm.directlvm_device":
		c.directLVM().Device = strings.TrimSpace(val)
	case "dm.thinp_percent", "dm.thinp_metapercent", "dm.thinp_autoextend_percent", "dm.thinp_autoextend_threshold":
		n, err := parsePercentOpt(key, val)
		if err != nil {
			return err
		}
		d := c.directLVM()
		switch key {
		case "dm.thinp_percent":
			d.ThinpPercent = n
		case "dm.thinp_metapercent":
			d.ThinpMetaPercent = n
		case "dm.thinp_autoextend_percent":
			d.AutoExtendPercent = n
		default:
			d.AutoExtendThreshold = n
		}
	case "dm.directlvm_device_force":
		return boolean(&c.DirectLVMForce)
	case "dm.no_warn_on_loop_devices":
		return boolean(&c.NoWarnOnLoopDevices)
	case "dm.xfs_nospace_max_retries":
		if _, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64); err != nil {
			return fmt.Errorf("dm.xfs_nospace_max_retries %q: want a number of retries (0 or more)", val)
		}
		c.XFSNospaceMaxRetries = strings.TrimSpace(val)
	case "dm.libdm_log_level":
		// Docker's levels: 2 (fatal) to 7 (debug).
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 2 || n > 7 {
			return fmt.Errorf("dm.libdm_log_level %q: want a level from 2 to 7", val)
		}
		c.LibdmLogLevel = n
	default:
		return fmt.Errorf("unknown storage option %q", key)
	}
	return nil
}

// StorageOptNotes returns a note for each option that is accepted for
// Docker's sake but does nothing in dmctl.
func StorageOptNotes(opts []string) []string {
	var notes []string
	for _, o := range opts {
		if key, _, err := splitStorageOpt(o); err == nil && key == "dm.libdm_log_level" {
			notes = append(notes, "dm.libdm_log_level is accepted but has no effect: dmctl does not use libdevmapper (its errors carry the kernel's own reasons)")
		}
	}
	return notes
}

// directLVM returns c.DirectLVM, made or copied first, so that a change
// never reaches a Config c was copied from.
func (c *Config) directLVM() *DirectLVMConfig {
	d := DirectLVMConfig{}
	if c.DirectLVM != nil {
		d = *c.DirectLVM
	}
	c.DirectLVM = &d
	return c.DirectLVM
}

// joinMountOptions joins comma-separated mount option lists, skipping
// empty ones.
func joinMountOptions(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "," + b
}

// isCreationKey reports whether a storage option describes how a pool was
// made; on an existing pool such an option may only repeat what the pool
// already is.
func isCreationKey(key string) bool {
	switch key {
	case "dm.loopdatasize", "dm.loopmetadatasize", "dm.blocksize", "dm.fs", "dm.mkfsarg",
		"dm.basesize", "dm.datadev", "dm.metadatadev", "dm.thinpooldev":
		return true
	case "dm.directlvm_device", "dm.thinp_percent", "dm.thinp_metapercent",
		"dm.thinp_autoextend_percent", "dm.thinp_autoextend_threshold":
		return true
	}
	return false
}
