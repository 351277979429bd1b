//go:build linux

package pool

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// ErrUnknownFilesystem is returned by ProbeFilesystem when no superblock it
// knows is found.
var ErrUnknownFilesystem = errors.New("no xfs, ext2/3/4 or btrfs superblock found")

// FSInfo is what ProbeFilesystem finds on a device.
type FSInfo struct {
	Type string // "xfs", "ext2", "ext3", "ext4", "jbd" (an external ext3/4 journal) or "btrfs"
	UUID string // as blkid prints it: lowercase 8-4-4-4-12 hex; "" when the superblock's UUID is all zero
}

// Superblock locations (byte offsets from the start of the device).
const (
	xfsMagicOff   = 0 // "XFSB"
	xfsUUIDOff    = 32
	extSuperOff   = 1024
	extMagicOff   = extSuperOff + 0x38 // 0xEF53, little-endian
	extCompatOff  = extSuperOff + 0x5c
	extIncompOff  = extSuperOff + 0x60
	extROCompOff  = extSuperOff + 0x64
	extUUIDOff    = extSuperOff + 0x68
	btrfsFSIDOff  = 0x10020
	btrfsMagicOff = 0x10040 // "_BHRfS_M"
	uuidLen       = 16
)

// ext2/3/4 feature flags that decide the type, as blkid decides it.
const (
	extCompatHasJournal   = 0x0004
	extIncompatFiletype   = 0x0002
	extIncompatRecover    = 0x0004
	extIncompatJournalDev = 0x0008
	extIncompatMetaBG     = 0x0010
	extROCompatSparse     = 0x0001
	extROCompatLargeFile  = 0x0002
	extROCompatBtreeDir   = 0x0004

	ext2IncompatSupported = extIncompatFiletype | extIncompatMetaBG
	ext3IncompatSupported = ext2IncompatSupported | extIncompatRecover
	ext23ROCompatSupport  = extROCompatSparse | extROCompatLargeFile | extROCompatBtreeDir
)

// ProbeFilesystem identifies the filesystem on r (a block device or an
// image file) from its superblock magic numbers and reads its UUID: xfs
// ("XFSB" at byte 0, UUID at 32), ext2/3/4 (0xEF53 at 0x438, UUID at
// 0x468) and btrfs ("_BHRfS_M" at 0x10040, fsid at 0x10020). The ext
// flavour follows blkid's rule: an external journal device is "jbd";
// without a journal and with only ext2 features it is "ext2"; with a
// journal and only ext3 features "ext3"; anything else (extents, 64bit,
// flex_bg, metadata_csum...) "ext4". Only the signature is checked, not the
// rest of the superblock. When no signature matches, the error wraps
// ErrUnknownFilesystem.
func ProbeFilesystem(r io.ReaderAt) (FSInfo, error) {
	var head [extSuperOff + 1024]byte // the xfs superblock start and the ext superblock
	if err := readFull(r, head[:], 0); err != nil {
		return FSInfo{}, fmt.Errorf("probe filesystem: %w", err)
	}
	if bytes.Equal(head[xfsMagicOff:xfsMagicOff+4], []byte("XFSB")) {
		return FSInfo{Type: "xfs", UUID: formatUUID(head[xfsUUIDOff : xfsUUIDOff+uuidLen])}, nil
	}
	if binary.LittleEndian.Uint16(head[extMagicOff:]) == 0xef53 {
		return FSInfo{Type: extType(head[:]), UUID: formatUUID(head[extUUIDOff : extUUIDOff+uuidLen])}, nil
	}
	var btrfs [btrfsMagicOff + 8 - btrfsFSIDOff]byte
	if err := readFull(r, btrfs[:], btrfsFSIDOff); err != nil {
		return FSInfo{}, fmt.Errorf("probe filesystem: %w", err)
	}
	if bytes.Equal(btrfs[btrfsMagicOff-btrfsFSIDOff:], []byte("_BHRfS_M")) {
		return FSInfo{Type: "btrfs", UUID: formatUUID(btrfs[:uuidLen])}, nil
	}
	return FSInfo{}, fmt.Errorf("probe filesystem: %w", ErrUnknownFilesystem)
}

// extType names the ext flavour of the superblock in head.
func extType(head []byte) string {
	compat := binary.LittleEndian.Uint32(head[extCompatOff:])
	incompat := binary.LittleEndian.Uint32(head[extIncompOff:])
	roCompat := binary.LittleEndian.Uint32(head[extROCompOff:])
	switch {
	case incompat&extIncompatJournalDev != 0:
		return "jbd"
	case roCompat&^ext23ROCompatSupport != 0:
		return "ext4"
	case compat&extCompatHasJournal == 0 && incompat&^ext2IncompatSupported == 0:
		return "ext2"
	case compat&extCompatHasJournal != 0 && incompat&^ext3IncompatSupported == 0:
		return "ext3"
	default:
		return "ext4"
	}
}

// readFull fills p from r at off. Bytes past the end of r read as zero, so
// that small devices can still be probed for the signatures they can hold.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if err != nil && n < len(p) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read %d bytes at offset %d: %w", len(p), off, err)
	}
	clear(p[min(max(n, 0), len(p)):])
	return nil
}

// formatUUID formats 16 bytes as blkid does, or returns "" when they are
// all zero (blkid reports no UUID then).
func formatUUID(b []byte) string {
	if bytes.Count(b, []byte{0}) == len(b) {
		return ""
	}
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
