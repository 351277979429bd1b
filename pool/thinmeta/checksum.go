package thinmeta

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"
)

// BlockSize is the size of a metadata block in bytes.
const BlockSize = 4096

// blockKind names the validator a block is checked with. Every kind has the
// same header: csum u32 at 0, then a u32, then the block's own number u64
// at 8.
type blockKind uint8

const (
	kindSuperblock blockKind = iota
	kindNode
	kindBitmap
	kindIndex
	nrKinds
)

// Checksum salts (the kernel's *_CSUM_XOR constants).
const (
	superblockSalt = 160774 // SUPERBLOCK_CSUM_XOR, dm-thin-metadata.c
	nodeSalt       = 121107 // BTREE_CSUM_XOR, dm-btree-spine.c
	bitmapSalt     = 240779 // BITMAP_CSUM_XOR, dm-space-map-common.c
	indexSalt      = 160478 // INDEX_CSUM_XOR, dm-space-map-common.c
)

func (k blockKind) salt() uint32 {
	switch k {
	case kindSuperblock:
		return superblockSalt
	case kindNode:
		return nodeSalt
	case kindBitmap:
		return bitmapSalt
	default:
		return indexSalt
	}
}

func (k blockKind) String() string {
	switch k {
	case kindSuperblock:
		return "superblock"
	case kindNode:
		return "btree node"
	case kindBitmap:
		return "space map bitmap"
	default:
		return "space map index"
	}
}

// castagnoli returns the crc32c table, made on first use: building it
// (8 KiB of tables with SSE 4.2) is start-up work every dmctl command would
// pay, while only the commands that read pool metadata need it.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// blockChecksum returns the checksum the kernel stores in the first four
// bytes of a block of the given kind: dm_bm_checksum(&block[4], 4092, salt),
// that is crc32c with seed ~0 and no final inversion, XORed with the salt.
// Go's crc32 inverts at both ends, so one more inversion undoes the final one.
func blockChecksum(b []byte, k blockKind) uint32 {
	return crc32.Checksum(b[4:BlockSize], castagnoli()) ^ 0xffffffff ^ k.salt()
}

// checkBlock validates the common header of a block read from location loc.
func checkBlock(b []byte, loc uint64, k blockKind) error {
	if len(b) != BlockSize {
		return corruptf(loc, k.String(), "block is %d bytes, want %d", len(b), BlockSize)
	}
	if got := binary.LittleEndian.Uint64(b[8:]); got != loc {
		return corruptf(loc, k.String(), "records block number %d", got)
	}
	got, want := binary.LittleEndian.Uint32(b), blockChecksum(b, k)
	if got != want {
		return &CorruptError{
			Block:    loc,
			What:     k.String(),
			Reason:   fmt.Sprintf("checksum %#08x, want %#08x", got, want),
			checksum: true,
		}
	}
	return nil
}
