package thinmeta

import (
	"fmt"
	"io"
)

// Metadata is a read-only view of thin-pool metadata rooted at one
// superblock: the live one at block 0, or a metadata snapshot. It is safe
// for concurrent use.
type Metadata struct {
	br           *blockReader
	sb           Superblock
	snapshot     bool
	nrDataBlocks uint64 // data blocks of the pool, from the live superblock
}

// Open reads and validates the superblock at block 0 of a metadata device of
// size bytes. Nothing else is read until asked for.
func Open(r io.ReaderAt, size int64) (*Metadata, error) {
	return open(r, size, true)
}

// OpenSnapshot opens the metadata snapshot held by the superblock at block 0
// (see [Metadata.Snapshot]).
func OpenSnapshot(r io.ReaderAt, size int64) (*Metadata, error) {
	m, err := Open(r, size)
	if err != nil {
		return nil, err
	}
	return m.Snapshot()
}

func open(r io.ReaderAt, size int64, verify bool) (*Metadata, error) {
	if size < BlockSize {
		return nil, fmt.Errorf("open thin metadata: device of %d bytes is smaller than one block: %w", size, ErrCorrupt)
	}
	br := newBlockReader(r, size, defaultCacheBlocks)
	br.verify = verify
	sb, err := br.readSuperblock(0)
	if err != nil {
		return nil, fmt.Errorf("open thin metadata: %w", err)
	}
	return &Metadata{br: br, sb: sb, nrDataBlocks: sb.DataSpaceMap.NrBlocks}, nil
}

// readSuperblock reads and validates the superblock at loc, checking the
// magic first so that a device that is not thin metadata says so.
func (br *blockReader) readSuperblock(loc uint64) (Superblock, error) {
	b, err := br.readRaw(loc, "superblock")
	if err != nil {
		return Superblock{}, err
	}
	return parseSuperblock(b, loc, br.verify)
}

// Superblock returns the superblock this view is rooted at.
func (m *Metadata) Superblock() Superblock { return m.sb }

// IsSnapshot reports whether this view is a metadata snapshot.
func (m *Metadata) IsSnapshot() bool { return m.snapshot }

// DataBlockCount returns the number of data blocks in the pool (from the
// live superblock's data space map, also for a snapshot view).
func (m *Metadata) DataBlockCount() uint64 { return m.nrDataBlocks }

// Snapshot returns a view rooted at the metadata snapshot the superblock
// holds (after reserve_metadata_snap). Its device-details and mapping trees
// are the ones of the moment the snapshot was taken and stay intact while
// the pool runs; it has no space maps. It returns ErrNoMetadataSnap when no
// snapshot is held.
func (m *Metadata) Snapshot() (*Metadata, error) {
	loc := m.sb.MetadataSnap
	if loc == 0 {
		return nil, fmt.Errorf("open metadata snapshot: %w", ErrNoMetadataSnap)
	}
	sb, err := m.br.readSuperblock(loc)
	if err != nil {
		return nil, fmt.Errorf("open metadata snapshot: %w", err)
	}
	return &Metadata{br: m.br, sb: sb, snapshot: true, nrDataBlocks: m.nrDataBlocks}, nil
}
