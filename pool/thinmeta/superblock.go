package thinmeta

import (
	"encoding/binary"
	"fmt"
)

// Magic is the superblock magic number of dm-thin metadata.
const Magic = 27022010

// FlagNeedsCheck is the superblock flag the kernel sets when the metadata
// must be checked (thin_check) before the pool may be used read-write.
const FlagNeedsCheck = 1 << 0

// Metadata format versions this package reads (the kernel writes 2,
// thin_restore of thin-provisioning-tools 0.9 writes 1).
const (
	minVersion = 1
	maxVersion = 2
)

// metadataBlockSectors is the only metadata block size dm-thin uses.
const metadataBlockSectors = BlockSize / 512

// Superblock offsets (struct thin_disk_superblock).
const (
	sbFlags             = 4
	sbUUID              = 16
	sbMagic             = 32
	sbVersion           = 40
	sbTime              = 44
	sbTransactionID     = 48
	sbHeldRoot          = 56
	sbDataSpaceMap      = 64
	sbMetadataSpaceMap  = 192
	sbDataMappingRoot   = 320
	sbDeviceDetailsRoot = 328
	sbDataBlockSize     = 336
	sbMetadataBlockSize = 340
	sbNrMetadataBlocks  = 344
	sbCompatFlags       = 352
	sbCompatROFlags     = 356
	sbIncompatFlags     = 360
)

// SpaceMapRoot is the root of a space map as stored in the superblock
// (struct disk_sm_root).
type SpaceMapRoot struct {
	NrBlocks     uint64 // blocks tracked
	NrAllocated  uint64 // blocks with a non-zero reference count
	BitmapRoot   uint64 // index btree (data) or index block (metadata)
	RefCountRoot uint64 // btree of reference counts above 2
}

func parseSpaceMapRoot(b []byte) SpaceMapRoot {
	return SpaceMapRoot{
		NrBlocks:     binary.LittleEndian.Uint64(b[0:]),
		NrAllocated:  binary.LittleEndian.Uint64(b[8:]),
		BitmapRoot:   binary.LittleEndian.Uint64(b[16:]),
		RefCountRoot: binary.LittleEndian.Uint64(b[24:]),
	}
}

// Superblock is a decoded dm-thin superblock (struct thin_disk_superblock).
type Superblock struct {
	Flags             uint32   // FlagNeedsCheck, ...
	Location          uint64   // block this superblock was read from (0, or the snapshot's block)
	UUID              [16]byte // unused by the kernel (all zero)
	Version           uint32   // metadata format version
	Time              uint32   // snapshot clock, bumped by each create_snap
	TransactionID     uint64   // set with set_transaction_id
	MetadataSnap      uint64   // block of the held metadata snapshot, 0 if none
	DataSpaceMap      SpaceMapRoot
	MetadataSpaceMap  SpaceMapRoot
	DataMappingRoot   uint64 // two-level mapping btree
	DeviceDetailsRoot uint64 // device-details btree
	DataBlockSize     uint32 // data block size in 512-byte sectors
	MetadataBlockSize uint32 // metadata block size in 512-byte sectors (always 8)
	NrMetadataBlocks  uint64 // metadata blocks when the pool was formatted
	CompatFlags       uint32
	CompatROFlags     uint32
	IncompatFlags     uint32
}

// NeedsCheck reports whether the kernel flagged the metadata for thin_check.
func (s *Superblock) NeedsCheck() bool { return s.Flags&FlagNeedsCheck != 0 }

// DataBlockBytes returns the data block size in bytes.
func (s *Superblock) DataBlockBytes() uint64 { return uint64(s.DataBlockSize) * 512 }

// ParseSuperblock decodes and validates a superblock read from block loc:
// size, recorded block number, magic, checksum, metadata block size, version
// and incompatible feature flags.
func ParseSuperblock(b []byte, loc uint64) (Superblock, error) {
	return parseSuperblock(b, loc, true)
}

func parseSuperblock(b []byte, loc uint64, verify bool) (Superblock, error) {
	const what = "superblock"
	if len(b) != BlockSize {
		return Superblock{}, corruptf(loc, what, "block is %d bytes, want %d", len(b), BlockSize)
	}
	le := binary.LittleEndian
	if m := le.Uint64(b[sbMagic:]); m != Magic {
		return Superblock{}, corruptf(loc, what, "bad magic %d, want %d", m, Magic)
	}
	if verify {
		if err := checkBlock(b, loc, kindSuperblock); err != nil {
			return Superblock{}, err
		}
	}
	sb := Superblock{
		Flags:             le.Uint32(b[sbFlags:]),
		Location:          loc,
		Version:           le.Uint32(b[sbVersion:]),
		Time:              le.Uint32(b[sbTime:]),
		TransactionID:     le.Uint64(b[sbTransactionID:]),
		MetadataSnap:      le.Uint64(b[sbHeldRoot:]),
		DataSpaceMap:      parseSpaceMapRoot(b[sbDataSpaceMap:]),
		MetadataSpaceMap:  parseSpaceMapRoot(b[sbMetadataSpaceMap:]),
		DataMappingRoot:   le.Uint64(b[sbDataMappingRoot:]),
		DeviceDetailsRoot: le.Uint64(b[sbDeviceDetailsRoot:]),
		DataBlockSize:     le.Uint32(b[sbDataBlockSize:]),
		MetadataBlockSize: le.Uint32(b[sbMetadataBlockSize:]),
		NrMetadataBlocks:  le.Uint64(b[sbNrMetadataBlocks:]),
		CompatFlags:       le.Uint32(b[sbCompatFlags:]),
		CompatROFlags:     le.Uint32(b[sbCompatROFlags:]),
		IncompatFlags:     le.Uint32(b[sbIncompatFlags:]),
	}
	copy(sb.UUID[:], b[sbUUID:sbUUID+16])
	if sb.MetadataBlockSize != metadataBlockSectors {
		return Superblock{}, corruptf(loc, what, "metadata block size %d sectors, want %d", sb.MetadataBlockSize, metadataBlockSectors)
	}
	if sb.Version < minVersion || sb.Version > maxVersion {
		return Superblock{}, fmt.Errorf("superblock at block %d: unsupported metadata version %d (this reader knows %d to %d)", loc, sb.Version, minVersion, maxVersion)
	}
	if sb.IncompatFlags != 0 {
		return Superblock{}, fmt.Errorf("superblock at block %d: unsupported incompatible features %#x", loc, sb.IncompatFlags)
	}
	return sb, nil
}

// Marshal encodes the superblock as the kernel writes it at block
// s.Location: every field, the magic number and the checksum. Tests use it
// to stand in for the kernel's formatting of fresh metadata.
func (s Superblock) Marshal() []byte {
	b := make([]byte, BlockSize)
	le := binary.LittleEndian
	putRoot := func(off int, r SpaceMapRoot) {
		le.PutUint64(b[off:], r.NrBlocks)
		le.PutUint64(b[off+8:], r.NrAllocated)
		le.PutUint64(b[off+16:], r.BitmapRoot)
		le.PutUint64(b[off+24:], r.RefCountRoot)
	}
	le.PutUint32(b[sbFlags:], s.Flags)
	le.PutUint64(b[8:], s.Location)
	copy(b[sbUUID:], s.UUID[:])
	le.PutUint64(b[sbMagic:], Magic)
	le.PutUint32(b[sbVersion:], s.Version)
	le.PutUint32(b[sbTime:], s.Time)
	le.PutUint64(b[sbTransactionID:], s.TransactionID)
	le.PutUint64(b[sbHeldRoot:], s.MetadataSnap)
	putRoot(sbDataSpaceMap, s.DataSpaceMap)
	putRoot(sbMetadataSpaceMap, s.MetadataSpaceMap)
	le.PutUint64(b[sbDataMappingRoot:], s.DataMappingRoot)
	le.PutUint64(b[sbDeviceDetailsRoot:], s.DeviceDetailsRoot)
	le.PutUint32(b[sbDataBlockSize:], s.DataBlockSize)
	le.PutUint32(b[sbMetadataBlockSize:], s.MetadataBlockSize)
	le.PutUint64(b[sbNrMetadataBlocks:], s.NrMetadataBlocks)
	le.PutUint32(b[sbCompatFlags:], s.CompatFlags)
	le.PutUint32(b[sbCompatROFlags:], s.CompatROFlags)
	le.PutUint32(b[sbIncompatFlags:], s.IncompatFlags)
	le.PutUint32(b, blockChecksum(b, kindSuperblock))
	return b
}
