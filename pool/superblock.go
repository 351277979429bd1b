package pool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dmctl/dmctl/pool/thinmeta"
)

// thinPoolMagic is the magic number of a thin-pool metadata superblock, a
// little-endian u64 at byte 32 of block 0.
const (
	thinPoolMagic    = 27022010
	thinPoolMagicOff = 32
	metadataHeader   = 4096 // bytes zeroed on fresh metadata
)

// hasThinPoolMagic reports whether block (the start of a metadata device)
// carries a thin-pool superblock's magic number. It does not check the
// checksum: a damaged superblock still means the device holds a pool.
func hasThinPoolMagic(block []byte) bool {
	if len(block) < thinPoolMagicOff+8 {
		return false
	}
	return binary.LittleEndian.Uint64(block[thinPoolMagicOff:]) == thinPoolMagic
}

// readMetadataHeader reads the first metadata block of a device or file.
// A file shorter than a block reads as zeros past its end.
func readMetadataHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read metadata superblock: %w", err)
	}
	defer f.Close()
	b := make([]byte, metadataHeader)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read metadata superblock of %s: %w", path, err)
	}
	return b, nil
}

// metadataBlockSectors returns the data block size (in sectors) recorded in
// a formatted metadata superblock; ok is false when block holds no valid
// superblock.
func metadataBlockSectors(block []byte) (sectors uint64, ok bool) {
	if !hasThinPoolMagic(block) {
		return 0, false
	}
	sb, err := thinmeta.ParseSuperblock(block, 0)
	if err != nil || sb.DataBlockSize == 0 {
		return 0, false
	}
	return uint64(sb.DataBlockSize), true
}

// zeroMetadataHeader zeroes the first metadata block, so that the kernel
// formats fresh metadata when the pool is created.
func zeroMetadataHeader(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("zero metadata superblock: %w", err)
	}
	if _, err := f.WriteAt(make([]byte, metadataHeader), 0); err != nil {
		f.Close()
		return fmt.Errorf("zero metadata superblock of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("zero metadata superblock of %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("zero metadata superblock of %s: %w", path, err)
	}
	return nil
}
