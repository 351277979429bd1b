//go:build linux

package pool

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// MetadataBlockBytes is the size of a thin-pool metadata block. The kernel
// reports metadata usage in these units whatever the pool's data block size.
const MetadataBlockBytes = 4096

// SectorBytes is the size of a device-mapper sector.
const SectorBytes = 512

// maxThinDevID is the largest thin device id the kernel accepts (24 bits).
const maxThinDevID = 1<<24 - 1

// The pool modes a thin-pool status reports (PoolStatus.Mode).
const (
	PoolModeReadWrite      = "rw"                // metadata and data may change
	PoolModeReadOnly       = "ro"                // metadata may not change (also out of metadata space)
	PoolModeOutOfDataSpace = "out_of_data_space" // metadata may change, no data block can be allocated
	PoolModeFail           = "fail"              // the status was "Fail": all I/O fails
	PoolModeError          = "error"             // the status was "Error": the kernel could not read its metadata
)

// The discard settings a thin-pool status reports (PoolStatus.DiscardPassdown).
const (
	DiscardModeIgnore     = "ignore_discard"      // the pool does not support discards
	DiscardModePassdown   = "discard_passdown"    // discards are passed down to the data device
	DiscardModeNoPassdown = "no_discard_passdown" // discards free pool blocks only
)

// Words of the status lines that are not exposed as values.
const (
	noSpaceError       = "error_if_no_space"
	noSpaceQueue       = "queue_if_no_space"
	needsCheckFlag     = "needs_check"
	statusFail         = "Fail"
	statusError        = "Error"
	statusNoThinDevice = "-"
)

// PoolStatus is the parsed status line of a thin-pool target:
//
//	<transaction id> <used meta>/<total meta> <used data>/<total data>
//	<held metadata root|-> rw|ro|out_of_data_space
//	ignore_discard|discard_passdown|no_discard_passdown
//	error_if_no_space|queue_if_no_space needs_check|- <metadata low watermark>
//
// Metadata is counted in 4 KiB blocks, data in pool data blocks. Older
// kernels print a prefix of this line: the first ones stop after the held
// root, later ones after the discard setting, the no-space policy or the
// needs_check flag (the metadata low watermark came last). The fields a
// kernel does not report are left zero (Mode and DiscardPassdown empty). A pool in fail mode reports only "Fail", and one
// whose metadata could not be read only "Error": both set Failed, with Mode
// PoolModeFail or PoolModeError, and every other field zero.
type PoolStatus struct {
	TransactionID        uint64
	UsedMetaBlocks       uint64
	TotalMetaBlocks      uint64
	UsedDataBlocks       uint64
	TotalDataBlocks      uint64
	HeldMetadataRoot     uint64 // block of the held metadata snapshot, when HasHeldRoot
	HasHeldRoot          bool
	Mode                 string // one of the PoolMode constants, or "" when not reported
	DiscardPassdown      string // one of the DiscardMode constants, or "" when not reported
	ErrorIfNoSpace       bool   // I/O fails at once when the pool is full instead of queueing
	NeedsCheck           bool   // the metadata needs thin_check/repair before the pool can go read-write
	MetadataLowWatermark uint64 // metadata blocks; 0 when not reported
	Failed               bool   // the pool reported "Fail" or "Error"
}

// ParsePoolStatus parses the status text of a thin-pool target, in any of
// the layouts kernels have produced. It rejects malformed text: a wrong
// field count, a bad number, used blocks above the total, or an unknown
// word in the mode, discard, no-space or needs_check position.
func ParsePoolStatus(params string) (PoolStatus, error) {
	f := strings.Fields(params)
	if len(f) == 1 {
		switch f[0] {
		case statusFail:
			return PoolStatus{Failed: true, Mode: PoolModeFail}, nil
		case statusError:
			return PoolStatus{Failed: true, Mode: PoolModeError}, nil
		}
	}
	if len(f) < 4 || len(f) > 9 {
		return PoolStatus{}, fmt.Errorf("parse thin-pool status %q: want 4 to 9 fields, got %d", params, len(f))
	}
	var s PoolStatus
	var err error
	if s.TransactionID, err = parseUint("transaction id", f[0]); err != nil {
		return PoolStatus{}, poolStatusError(params, err)
	}
	if s.UsedMetaBlocks, s.TotalMetaBlocks, err = parseUsage("metadata usage", f[1]); err != nil {
		return PoolStatus{}, poolStatusError(params, err)
	}
	if s.UsedDataBlocks, s.TotalDataBlocks, err = parseUsage("data usage", f[2]); err != nil {
		return PoolStatus{}, poolStatusError(params, err)
	}
	if f[3] != "-" {
		if s.HeldMetadataRoot, err = parseUint("held metadata root", f[3]); err != nil {
			return PoolStatus{}, poolStatusError(params, err)
		}
		s.HasHeldRoot = true
	}
	for i, v := range f[4:] {
		if err := s.setOptional(i, v); err != nil {
			return PoolStatus{}, poolStatusError(params, err)
		}
	}
	return s, nil
}

// setOptional sets the i-th field after the held metadata root.
func (s *PoolStatus) setOptional(i int, v string) error {
	switch i {
	case 0:
		switch v {
		case PoolModeReadWrite, PoolModeReadOnly, PoolModeOutOfDataSpace:
			s.Mode = v
			return nil
		}
		return fmt.Errorf("bad pool mode %q", v)
	case 1:
		switch v {
		case DiscardModeIgnore, DiscardModePassdown, DiscardModeNoPassdown:
			s.DiscardPassdown = v
			return nil
		}
		return fmt.Errorf("bad discard setting %q", v)
	case 2:
		switch v {
		case noSpaceError:
			s.ErrorIfNoSpace = true
			return nil
		case noSpaceQueue:
			return nil
		}
		return fmt.Errorf("bad no-space policy %q", v)
	case 3:
		switch v {
		case needsCheckFlag:
			s.NeedsCheck = true
			return nil
		case "-":
			return nil
		}
		return fmt.Errorf("bad needs_check flag %q", v)
	default:
		n, err := parseUint("metadata low watermark", v)
		s.MetadataLowWatermark = n
		return err
	}
}

func poolStatusError(params string, err error) error {
	return fmt.Errorf("parse thin-pool status %q: %w", params, err)
}

// FreeDataBlocks returns the number of unused data blocks.
func (s PoolStatus) FreeDataBlocks() uint64 { return s.TotalDataBlocks - s.UsedDataBlocks }

// FreeMetaBlocks returns the number of unused 4 KiB metadata blocks.
func (s PoolStatus) FreeMetaBlocks() uint64 { return s.TotalMetaBlocks - s.UsedMetaBlocks }

// DataPercent returns the share of data blocks in use, from 0 to 100 (0
// when the pool has no data blocks).
func (s PoolStatus) DataPercent() float64 { return percent(s.UsedDataBlocks, s.TotalDataBlocks) }

// MetaPercent returns the share of metadata blocks in use, from 0 to 100
// (0 when the pool has no metadata blocks).
func (s PoolStatus) MetaPercent() float64 { return percent(s.UsedMetaBlocks, s.TotalMetaBlocks) }

// DataBytes returns the used and total data space in bytes, for a pool
// whose data blocks are blockBytes long.
func (s PoolStatus) DataBytes(blockBytes uint64) (used, total uint64) {
	return s.UsedDataBlocks * blockBytes, s.TotalDataBlocks * blockBytes
}

// MetadataBytes returns the used and total metadata space in bytes.
func (s PoolStatus) MetadataBytes() (used, total uint64) {
	return s.UsedMetaBlocks * MetadataBlockBytes, s.TotalMetaBlocks * MetadataBlockBytes
}

// BlockBytes returns the size of a data block in bytes, computed the way
// Docker did from the pool target's length in sectors and the total data
// blocks of its status (0 when the status has no data blocks).
func (s PoolStatus) BlockBytes(targetSectors uint64) uint64 {
	if s.TotalDataBlocks == 0 {
		return 0
	}
	return targetSectors / s.TotalDataBlocks * SectorBytes
}

// Writable reports whether the pool accepts metadata changes (messages such
// as create_thin and delete): it is in rw or out_of_data_space mode.
func (s PoolStatus) Writable() bool {
	return s.Mode == PoolModeReadWrite || s.Mode == PoolModeOutOfDataSpace
}

func percent(used, total uint64) float64 {
	if total == 0 {
		return 0
	}
	return float64(used) * 100 / float64(total)
}

// PoolTable is the parsed table of a thin-pool target as the kernel reads
// it back:
//
//	<metadata dev> <data dev> <data block size> <low water mark> <#features> <features...>
//
// The kernel reports devices as MAJ:MIN, the block size in 512-byte sectors
// and the low water mark in data blocks.
type PoolTable struct {
	MetadataDev  dmctl.Dev
	DataDev      dmctl.Dev
	BlockSectors uint64   // data block size in sectors
	LowWater     uint64   // low water mark in data blocks
	Features     []string // e.g. "skip_block_zeroing", "error_if_no_space"
}

// ParsePoolTable parses a thin-pool table as the kernel reports it. The
// feature count must match the features that follow; feature names are
// taken as they are, so that features of newer kernels still parse.
func ParsePoolTable(params string) (PoolTable, error) {
	f := strings.Fields(params)
	if len(f) < 4 {
		return PoolTable{}, fmt.Errorf("parse thin-pool table %q: want at least 4 fields, got %d", params, len(f))
	}
	var t PoolTable
	var err error
	if t.MetadataDev, err = dmctl.ParseDev(f[0]); err != nil {
		return PoolTable{}, poolTableError(params, fmt.Errorf("metadata device: %w", err))
	}
	if t.DataDev, err = dmctl.ParseDev(f[1]); err != nil {
		return PoolTable{}, poolTableError(params, fmt.Errorf("data device: %w", err))
	}
	if t.BlockSectors, err = parseUint("block size", f[2]); err != nil {
		return PoolTable{}, poolTableError(params, err)
	}
	if t.BlockSectors == 0 {
		return PoolTable{}, poolTableError(params, errors.New("block size is 0"))
	}
	if t.LowWater, err = parseUint("low water mark", f[3]); err != nil {
		return PoolTable{}, poolTableError(params, err)
	}
	rest := f[4:]
	if len(rest) == 0 {
		return t, nil // the feature count is optional in a table line
	}
	n, err := parseUint("feature count", rest[0])
	if err != nil {
		return PoolTable{}, poolTableError(params, err)
	}
	if n != uint64(len(rest)-1) {
		return PoolTable{}, poolTableError(params, fmt.Errorf("feature count %d, but %d features follow", n, len(rest)-1))
	}
	if n > 0 {
		t.Features = rest[1:]
	}
	return t, nil
}

func poolTableError(params string, err error) error {
	return fmt.Errorf("parse thin-pool table %q: %w", params, err)
}

// String formats the table parameters as a thin-pool table line takes them
// (without the start, length and target type), with devices as MAJ:MIN and
// the feature count always present: "253:1 253:0 128 32768 1
// skip_block_zeroing".
func (t PoolTable) String() string {
	var b strings.Builder
	b.WriteString(t.MetadataDev.String())
	b.WriteByte(' ')
	b.WriteString(t.DataDev.String())
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(t.BlockSectors, 10))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatUint(t.LowWater, 10))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(t.Features)))
	for _, f := range t.Features {
		b.WriteByte(' ')
		b.WriteString(f)
	}
	return b.String()
}

// HasFeature reports whether the table carries the named feature.
func (t PoolTable) HasFeature(name string) bool {
	for _, f := range t.Features {
		if f == name {
			return true
		}
	}
	return false
}

// ThinStatus is the parsed status of a thin target:
// "<nr mapped sectors> <highest mapped sector>", where the highest mapped
// sector is "-" when nothing is mapped. A thin whose pool failed reports
// "Fail", and one whose metadata could not be read "Error": both set
// Failed. A thin not yet bound to its pool device reports "-", which parses
// to the zero ThinStatus.
type ThinStatus struct {
	MappedSectors       uint64 // sectors mapped to data blocks (whole blocks)
	HighestMappedSector uint64 // last sector of the highest mapped block, when HasMapped
	HasMapped           bool   // the thin has at least one mapped block
	Failed              bool
}

// ParseThinStatus parses the status text of a thin target. It rejects
// malformed text.
func ParseThinStatus(params string) (ThinStatus, error) {
	f := strings.Fields(params)
	if len(f) == 1 {
		switch f[0] {
		case statusFail, statusError:
			return ThinStatus{Failed: true}, nil
		case statusNoThinDevice:
			return ThinStatus{}, nil
		}
	}
	if len(f) != 2 {
		return ThinStatus{}, fmt.Errorf("parse thin status %q: want 2 fields, got %d", params, len(f))
	}
	var s ThinStatus
	var err error
	if s.MappedSectors, err = parseUint("mapped sectors", f[0]); err != nil {
		return ThinStatus{}, fmt.Errorf("parse thin status %q: %w", params, err)
	}
	if f[1] != "-" {
		if s.HighestMappedSector, err = parseUint("highest mapped sector", f[1]); err != nil {
			return ThinStatus{}, fmt.Errorf("parse thin status %q: %w", params, err)
		}
		s.HasMapped = true
	}
	return s, nil
}

// MappedBytes returns the mapped space in bytes.
func (s ThinStatus) MappedBytes() uint64 { return s.MappedSectors * SectorBytes }

// String formats the status the way the kernel does.
func (s ThinStatus) String() string {
	if s.Failed {
		return statusFail
	}
	highest := "-"
	if s.HasMapped {
		highest = strconv.FormatUint(s.HighestMappedSector, 10)
	}
	return strconv.FormatUint(s.MappedSectors, 10) + " " + highest
}

// ThinTable is the parsed table of a thin target:
// "<pool dev> <dev id> [<external origin dev>]". The kernel reads devices
// back as MAJ:MIN; a table being written may name them by path.
type ThinTable struct {
	PoolDev        string
	DevID          uint32 // 24-bit thin device id
	ExternalOrigin string // "" when the thin has no external origin
}

// ParseThinTable parses the table of a thin target.
func ParseThinTable(params string) (ThinTable, error) {
	f := strings.Fields(params)
	if len(f) != 2 && len(f) != 3 {
		return ThinTable{}, fmt.Errorf("parse thin table %q: want 2 or 3 fields, got %d", params, len(f))
	}
	id, err := parseUint("device id", f[1])
	if err != nil {
		return ThinTable{}, fmt.Errorf("parse thin table %q: %w", params, err)
	}
	if id > maxThinDevID {
		return ThinTable{}, fmt.Errorf("parse thin table %q: device id %d exceeds %d", params, id, maxThinDevID)
	}
	t := ThinTable{PoolDev: f[0], DevID: uint32(id)}
	if len(f) == 3 {
		t.ExternalOrigin = f[2]
	}
	return t, nil
}

// String formats the table parameters of the thin target.
func (t ThinTable) String() string {
	s := t.PoolDev + " " + strconv.FormatUint(uint64(t.DevID), 10)
	if t.ExternalOrigin != "" {
		s += " " + t.ExternalOrigin
	}
	return s
}

// parseUint parses a decimal number named what.
func parseUint(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q: %w", what, s, errors.Unwrap(err))
	}
	return n, nil
}

// parseUsage parses "<used>/<total>" with used <= total.
func parseUsage(what, s string) (used, total uint64, err error) {
	u, t, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("bad %s %q: want USED/TOTAL", what, s)
	}
	if used, err = parseUint(what, u); err != nil {
		return 0, 0, err
	}
	if total, err = parseUint(what, t); err != nil {
		return 0, 0, err
	}
	if used > total {
		return 0, 0, fmt.Errorf("bad %s %q: used exceeds total", what, s)
	}
	return used, total, nil
}
