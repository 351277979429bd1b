package thinmeta

import (
	"encoding/binary"
	"fmt"
)

// A mapping value packs the data block in its top 40 bits and the time in
// its low 24 bits (pack_block_time in dm-thin-metadata.c).
const (
	mappingSize = 8
	timeBits    = 24
	timeMask    = 1<<timeBits - 1
)

// MappingFunc receives one mapping: virtual block vblock of a thin device
// is stored in data block dblock, written at pool time time.
type MappingFunc func(vblock, dblock uint64, time uint32) error

// Run is a run of consecutive mappings: virtual blocks
// [OriginBegin, OriginBegin+Length) map to data blocks
// [DataBegin, DataBegin+Length), all with the same time (thin_dump's
// range_mapping; Length 1 is a single_mapping).
type Run struct {
	OriginBegin uint64
	DataBegin   uint64
	Length      uint64
	Time        uint32
}

// OriginEnd returns the virtual block after the run.
func (r Run) OriginEnd() uint64 { return r.OriginBegin + r.Length }

// extends reports whether vblock→dblock at time t continues r.
func (r Run) extends(vblock, dblock uint64, t uint32) bool {
	return r.Length > 0 && t == r.Time && vblock == r.OriginBegin+r.Length && dblock == r.DataBegin+r.Length
}

// deviceRoot returns the root of thin device dev's mapping btree.
func (m *Metadata) deviceRoot(dev uint32) (uint64, error) {
	_, v, ok, err := m.br.lookup(m.sb.DataMappingRoot, uint64(dev), mappingSize)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, ErrNoDevice
	}
	return binary.LittleEndian.Uint64(v), nil
}

// deviceRoots returns every thin device's mapping btree root, in id order.
func (m *Metadata) deviceRoots() ([]devRoot, error) {
	var roots []devRoot
	err := m.br.walkTree(m.sb.DataMappingRoot, mappingSize, func(leaf, key uint64, v []byte) error {
		id, err := thinID(leaf, key)
		if err != nil {
			return err
		}
		roots = append(roots, devRoot{id: id, root: binary.LittleEndian.Uint64(v)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk mapping tree: %w", err)
	}
	return roots, nil
}

type devRoot struct {
	id   uint32
	root uint64
}

// walkMappings visits every mapping of the btree at root.
func (m *Metadata) walkMappings(root uint64, fn MappingFunc) error {
	return m.br.walkTree(root, mappingSize, func(leaf, key uint64, v []byte) error {
		packed := binary.LittleEndian.Uint64(v)
		dblock := packed >> timeBits
		if dblock >= m.nrDataBlocks {
			return corruptf(leaf, "btree node", "virtual block %d maps to data block %d, beyond the pool's %d data blocks", key, dblock, m.nrDataBlocks)
		}
		return fn(key, dblock, uint32(packed&timeMask))
	})
}

// Mappings calls fn for every mapped block of thin device dev, in virtual
// block order, without holding the mappings in memory. It returns an error
// matching ErrNoDevice when dev has no mapping tree.
func (m *Metadata) Mappings(dev uint32, fn MappingFunc) error {
	root, err := m.deviceRoot(dev)
	if err != nil {
		return fmt.Errorf("walk mappings of thin device %d: %w", dev, err)
	}
	if err := m.walkMappings(root, fn); err != nil {
		return fmt.Errorf("walk mappings of thin device %d: %w", dev, err)
	}
	return nil
}

// MappingRuns calls fn for every maximal [Run] of thin device dev's
// mappings, in virtual block order.
func (m *Metadata) MappingRuns(dev uint32, fn func(Run) error) error {
	root, err := m.deviceRoot(dev)
	if err != nil {
		return fmt.Errorf("walk mappings of thin device %d: %w", dev, err)
	}
	if err := m.walkRuns(root, fn); err != nil {
		return fmt.Errorf("walk mappings of thin device %d: %w", dev, err)
	}
	return nil
}

// walkRuns visits the mappings of the btree at root as maximal runs.
func (m *Metadata) walkRuns(root uint64, fn func(Run) error) error {
	var cur Run
	err := m.walkMappings(root, func(v, d uint64, t uint32) error {
		if cur.extends(v, d, t) {
			cur.Length++
			return nil
		}
		if cur.Length > 0 {
			if err := fn(cur); err != nil {
				return err
			}
		}
		cur = Run{OriginBegin: v, DataBegin: d, Length: 1, Time: t}
		return nil
	})
	if err != nil {
		return err
	}
	if cur.Length > 0 {
		return fn(cur)
	}
	return nil
}

// Lookup returns the data block and time that virtual block vblock of thin
// device dev maps to; ok is false when the block is unmapped.
func (m *Metadata) Lookup(dev uint32, vblock uint64) (dblock uint64, time uint32, ok bool, err error) {
	root, err := m.deviceRoot(dev)
	if err != nil {
		return 0, 0, false, fmt.Errorf("look up block %d of thin device %d: %w", vblock, dev, err)
	}
	leaf, v, ok, err := m.br.lookup(root, vblock, mappingSize)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("look up block %d of thin device %d: %w", vblock, dev, err)
		}
		return 0, 0, false, err
	}
	packed := binary.LittleEndian.Uint64(v)
	dblock = packed >> timeBits
	if dblock >= m.nrDataBlocks {
		return 0, 0, false, fmt.Errorf("look up block %d of thin device %d: %w", vblock, dev,
			corruptf(leaf, "btree node", "maps to data block %d, beyond the pool's %d data blocks", dblock, m.nrDataBlocks))
	}
	return dblock, uint32(packed & timeMask), true, nil
}
