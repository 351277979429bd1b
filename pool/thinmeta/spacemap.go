package thinmeta

import (
	"encoding/binary"
	"fmt"
)

// Space map layout (dm-space-map-common.h).
const (
	bitmapHeaderSize = 16 // struct disk_bitmap_header: csum, not_used, blocknr
	// EntriesPerBitmap is the number of blocks one bitmap block tracks, at
	// 2 bits each.
	EntriesPerBitmap = (BlockSize - bitmapHeaderSize) * 4
	indexEntrySize   = 16  // struct disk_index_entry
	indexHeaderSize  = 16  // struct disk_metadata_index: csum, padding, blocknr
	maxMetadataIndex = 255 // MAX_METADATA_BITMAPS
	refCountSize     = 4   // ref-count btree values are __le32
	entryMany        = 3   // bitmap value meaning "see the ref-count btree"

	lowBits = 0x5555555555555555 // bit 2i of every entry i of a bitmap word
)

// indexEntry is a struct disk_index_entry: where a bitmap block lives and
// how full it is.
type indexEntry struct {
	blocknr        uint64
	nrFree         uint32
	noneFreeBefore uint32
}

func parseIndexEntry(b []byte) indexEntry {
	le := binary.LittleEndian
	return indexEntry{
		blocknr:        le.Uint64(b[0:]),
		nrFree:         le.Uint32(b[8:]),
		noneFreeBefore: le.Uint32(b[12:]),
	}
}

// SpaceMap is a read-only view of one of the pool's two space maps: the
// data space map (reference counts of data blocks) or the metadata space map
// (reference counts of metadata blocks).
type SpaceMap struct {
	br       *blockReader
	name     string
	root     SpaceMapRoot
	nrIndex  uint64
	metadata bool
	index    []indexEntry // metadata space map: its single index block
}

// DataSpaceMap returns the data space map. A metadata snapshot has none
// (ErrNoSpaceMap).
func (m *Metadata) DataSpaceMap() (*SpaceMap, error) {
	if m.snapshot {
		return nil, fmt.Errorf("open data space map: %w", ErrNoSpaceMap)
	}
	s, err := newSpaceMap(m.br, "data space map", m.sb.DataSpaceMap, false)
	if err != nil {
		return nil, fmt.Errorf("open data space map: %w", err)
	}
	return s, nil
}

// MetadataSpaceMap returns the metadata space map. A metadata snapshot has
// none (ErrNoSpaceMap).
func (m *Metadata) MetadataSpaceMap() (*SpaceMap, error) {
	if m.snapshot {
		return nil, fmt.Errorf("open metadata space map: %w", ErrNoSpaceMap)
	}
	s, err := newSpaceMap(m.br, "metadata space map", m.sb.MetadataSpaceMap, true)
	if err != nil {
		return nil, fmt.Errorf("open metadata space map: %w", err)
	}
	return s, nil
}

func newSpaceMap(br *blockReader, name string, root SpaceMapRoot, metadata bool) (*SpaceMap, error) {
	if root.NrAllocated > root.NrBlocks {
		return nil, corruptf(0, "superblock", "%s has %d of %d blocks allocated", name, root.NrAllocated, root.NrBlocks)
	}
	s := &SpaceMap{
		br:       br,
		name:     name,
		root:     root,
		nrIndex:  (root.NrBlocks + EntriesPerBitmap - 1) / EntriesPerBitmap,
		metadata: metadata,
	}
	if !metadata {
		return s, nil
	}
	if s.nrIndex > maxMetadataIndex {
		return nil, corruptf(0, "superblock", "%s of %d blocks needs %d bitmaps, more than %d", name, root.NrBlocks, s.nrIndex, maxMetadataIndex)
	}
	b, err := br.read(root.BitmapRoot, kindIndex)
	if err != nil {
		return nil, err
	}
	s.index = make([]indexEntry, s.nrIndex)
	for i := range s.index {
		s.index[i] = parseIndexEntry(b[indexHeaderSize+i*indexEntrySize:])
	}
	return s, nil
}

// NrBlocks returns the number of blocks the space map tracks.
func (s *SpaceMap) NrBlocks() uint64 { return s.root.NrBlocks }

// NrAllocated returns the number of blocks with a non-zero reference count,
// as recorded in the superblock.
func (s *SpaceMap) NrAllocated() uint64 { return s.root.NrAllocated }

// NrFree returns NrBlocks - NrAllocated.
func (s *SpaceMap) NrFree() uint64 { return s.root.NrBlocks - s.root.NrAllocated }

// indexEntry returns the index entry of bitmap i.
func (s *SpaceMap) indexEntry(i uint64) (indexEntry, error) {
	if s.metadata {
		return s.index[i], nil
	}
	_, v, ok, err := s.br.lookup(s.root.BitmapRoot, i, indexEntrySize)
	if err != nil {
		return indexEntry{}, err
	}
	if !ok {
		return indexEntry{}, corruptf(s.root.BitmapRoot, "btree node", "%s index has no entry for bitmap %d", s.name, i)
	}
	return parseIndexEntry(v), nil
}

// eachIndexEntry calls fn for bitmaps 0..nrIndex-1 in order.
func (s *SpaceMap) eachIndexEntry(fn func(i uint64, ie indexEntry) error) error {
	if s.metadata {
		for i, ie := range s.index {
			if err := fn(uint64(i), ie); err != nil {
				return err
			}
		}
		return nil
	}
	var next uint64
	err := s.br.walkTree(s.root.BitmapRoot, indexEntrySize, func(leaf, key uint64, v []byte) error {
		if key != next {
			return corruptf(leaf, "btree node", "%s index has entry %d, want %d", s.name, key, next)
		}
		if key >= s.nrIndex {
			return corruptf(leaf, "btree node", "%s index has entry %d, beyond its %d bitmaps", s.name, key, s.nrIndex)
		}
		next++
		return fn(key, parseIndexEntry(v))
	})
	if err != nil {
		return err
	}
	if next != s.nrIndex {
		return corruptf(s.root.BitmapRoot, "btree node", "%s index has %d entries, want %d", s.name, next, s.nrIndex)
	}
	return nil
}

// bitmap reads the bitmap block an index entry points to.
func (s *SpaceMap) bitmap(ie indexEntry) ([]byte, error) {
	if ie.nrFree > EntriesPerBitmap {
		return nil, corruptf(ie.blocknr, kindBitmap.String(), "index claims %d free entries, more than %d", ie.nrFree, EntriesPerBitmap)
	}
	return s.br.read(ie.blocknr, kindBitmap)
}

// bitmapEntry returns the 2-bit entry i of a bitmap block. As in the
// kernel's sm_lookup_bitmap, bit 2i of the little-endian word is the high
// bit and bit 2i+1 the low bit.
func bitmapEntry(bm []byte, i uint64) uint32 {
	w := binary.LittleEndian.Uint64(bm[bitmapHeaderSize+8*(i/32):])
	sh := 2 * (i % 32)
	return uint32((w>>sh)&1)<<1 | uint32((w>>(sh+1))&1)
}

// RefCount returns the reference count of block b.
func (s *SpaceMap) RefCount(b uint64) (uint32, error) {
	if b >= s.root.NrBlocks {
		return 0, fmt.Errorf("ref count of block %d: beyond the %d blocks of the %s", b, s.root.NrBlocks, s.name)
	}
	ie, err := s.indexEntry(b / EntriesPerBitmap)
	if err != nil {
		return 0, fmt.Errorf("ref count of block %d: %w", b, err)
	}
	bm, err := s.bitmap(ie)
	if err != nil {
		return 0, fmt.Errorf("ref count of block %d: %w", b, err)
	}
	c := bitmapEntry(bm, b%EntriesPerBitmap)
	if c < entryMany {
		return c, nil
	}
	c, err = s.bigRefCount(b)
	if err != nil {
		return 0, fmt.Errorf("ref count of block %d: %w", b, err)
	}
	return c, nil
}

// bigRefCount looks b up in the ref-count btree.
func (s *SpaceMap) bigRefCount(b uint64) (uint32, error) {
	leaf, v, ok, err := s.br.lookup(s.root.RefCountRoot, b, refCountSize)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, corruptf(s.root.RefCountRoot, "btree node", "%s bitmap says block %d has more than 2 references, ref-count tree has no entry", s.name, b)
	}
	c := binary.LittleEndian.Uint32(v)
	if c < entryMany {
		return 0, corruptf(leaf, "btree node", "%s ref-count tree holds %d for block %d, want more than 2", s.name, c, b)
	}
	return c, nil
}

// RefCounts calls fn for every block with a non-zero reference count, in
// block order. Counts above 2 are looked up in the ref-count btree.
func (s *SpaceMap) RefCounts(fn func(b uint64, count uint32) error) error {
	err := s.eachIndexEntry(func(i uint64, ie indexEntry) error {
		bm, err := s.bitmap(ie)
		if err != nil {
			return err
		}
		base := i * EntriesPerBitmap
		n := min(EntriesPerBitmap, s.root.NrBlocks-base)
		for w := uint64(0); w*32 < n; w++ {
			if binary.LittleEndian.Uint64(bm[bitmapHeaderSize+8*w:]) == 0 {
				continue
			}
			for j := w * 32; j < min(n, w*32+32); j++ {
				c := bitmapEntry(bm, j)
				if c == 0 {
					continue
				}
				if c == entryMany {
					if c, err = s.bigRefCount(base + j); err != nil {
						return err
					}
				}
				if err := fn(base+j, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s ref counts: %w", s.name, err)
	}
	return nil
}

// FreeRuns calls fn for every maximal run of blocks with a zero reference
// count, in block order: what thin_trim discards. Bitmaps the index records
// as full are not read.
func (s *SpaceMap) FreeRuns(fn func(start, length uint64) error) error {
	var start, length uint64
	flush := func() error {
		if length == 0 {
			return nil
		}
		err := fn(start, length)
		length = 0
		return err
	}
	free := func(b, n uint64) error {
		if length > 0 && start+length == b {
			length += n
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		start, length = b, n
		return nil
	}
	err := s.eachIndexEntry(func(i uint64, ie indexEntry) error {
		base := i * EntriesPerBitmap
		n := min(EntriesPerBitmap, s.root.NrBlocks-base)
		if ie.nrFree == 0 {
			return flush()
		}
		bm, err := s.bitmap(ie)
		if err != nil {
			return err
		}
		for w := uint64(0); w*32 < n; w++ {
			word := binary.LittleEndian.Uint64(bm[bitmapHeaderSize+8*w:])
			end := min(n, w*32+32)
			switch {
			case word == 0:
				if err := free(base+w*32, end-w*32); err != nil {
					return err
				}
				continue
			case end-w*32 == 32 && (word|word>>1)&lowBits == lowBits:
				// All 32 entries in use.
				if err := flush(); err != nil {
					return err
				}
				continue
			}
			for j := w * 32; j < end; j++ {
				var err error
				if bitmapEntry(bm, j) == 0 {
					err = free(base+j, 1)
				} else {
					err = flush()
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s free runs: %w", s.name, err)
	}
	return flush()
}

// DataRefCount returns the reference count of data block b from the data
// space map.
func (m *Metadata) DataRefCount(b uint64) (uint32, error) {
	s, err := m.DataSpaceMap()
	if err != nil {
		return 0, err
	}
	return s.RefCount(b)
}

// FreeDataRuns calls fn for every run of free data blocks, in block order.
// On a live pool the kernel may allocate these blocks at any time: act on
// them (discard) only while the pool is not active.
func (m *Metadata) FreeDataRuns(fn func(start, length uint64) error) error {
	s, err := m.DataSpaceMap()
	if err != nil {
		return err
	}
	return s.FreeRuns(fn)
}

// DataAllocated returns the number of allocated data blocks recorded in the
// superblock's data space map root.
func (m *Metadata) DataAllocated() (uint64, error) {
	s, err := m.DataSpaceMap()
	if err != nil {
		return 0, err
	}
	return s.NrAllocated(), nil
}
