package thinmeta

import (
	"fmt"
	"math/bits"
)

// UnmappedDataRuns calls fn for every maximal run of data blocks in
// [0, nrBlocks) that no thin device maps, in block order. A metadata
// snapshot has no space maps, but its mapping trees are the pool's at the
// moment it was taken (reserve_metadata_snap commits first), so this is
// what the data space map reported free then: how trim --dry-run learns
// what a trim would give back without suspending the pool. It holds one bit
// per data block.
func (m *Metadata) UnmappedDataRuns(nrBlocks uint64, fn func(start, length uint64) error) error {
	used := make([]uint64, (nrBlocks+63)/64)
	roots, err := m.deviceRoots()
	if err != nil {
		return err
	}
	for _, r := range roots {
		err := m.walkRuns(r.root, func(run Run) error {
			for b := run.DataBegin; b < run.DataBegin+run.Length && b < nrBlocks; b++ {
				used[b/64] |= 1 << (b % 64)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("walk mappings of thin device %d: %w", r.id, err)
		}
	}
	var start, length uint64
	flush := func() error {
		if length == 0 {
			return nil
		}
		err := fn(start, length)
		length = 0
		return err
	}
	for b := uint64(0); b < nrBlocks; {
		w := used[b/64] >> (b % 64)
		span := min(64-b%64, nrBlocks-b) // bits of this word from b on
		if w == 0 {
			if length == 0 {
				start = b
			}
			length += span
			b += span
			continue
		}
		free := uint64(bits.TrailingZeros64(w)) // free blocks before the next used one
		if free > 0 {
			if length == 0 {
				start = b
			}
			length += free
		}
		if err := flush(); err != nil {
			return err
		}
		b += free + 1
	}
	return flush()
}
