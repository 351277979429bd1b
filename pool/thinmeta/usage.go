package thinmeta

import "fmt"

// DeviceUsage is a thin device's space usage, as thin_ls reports it.
type DeviceUsage struct {
	Details DeviceDetails

	// MappedBlocks is the number of mapped virtual blocks, counted by
	// walking the device's mappings (Details.MappedBlocks is the kernel's
	// own counter; the two agree on consistent metadata).
	MappedBlocks uint64
	// ExclusiveBlocks counts the device's mappings to data blocks that no
	// other mapping in the pool (of this or any device) refers to.
	ExclusiveBlocks uint64
	// SharedBlocks is MappedBlocks - ExclusiveBlocks.
	SharedBlocks uint64
	// HighestMapped is the highest mapped virtual block; meaningful only
	// when MappedBlocks > 0.
	HighestMapped uint64
	// BlockBytes is the pool's data block size in bytes.
	BlockBytes uint64
}

// MappedBytes returns MappedBlocks in bytes.
func (u DeviceUsage) MappedBytes() uint64 { return u.MappedBlocks * u.BlockBytes }

// ExclusiveBytes returns ExclusiveBlocks in bytes.
func (u DeviceUsage) ExclusiveBytes() uint64 { return u.ExclusiveBlocks * u.BlockBytes }

// SharedBytes returns SharedBlocks in bytes.
func (u DeviceUsage) SharedBytes() uint64 { return u.SharedBlocks * u.BlockBytes }

// Usage returns the usage of every thin device, in id order, computed as
// thin_ls does: a first walk over all mappings counts how often each data
// block is referenced, a second one classifies each device's mappings as
// exclusive or shared. Sharing is counted per mapping, not from the data
// space map: after create_snap, origin and snapshot share mapping subtrees,
// so a data block mapped by both can still have a reference count of 1.
// Memory grows with the number of distinct data blocks mapped (2 bits each),
// never with the pool's size.
func (m *Metadata) Usage() ([]DeviceUsage, error) {
	devs, roots, err := m.devicesWithRoots()
	if err != nil {
		return nil, fmt.Errorf("compute usage: %w", err)
	}
	var counts blockCounter
	for _, r := range roots {
		err := m.walkMappings(r.root, func(_, d uint64, _ uint32) error {
			counts.inc(d)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("compute usage of thin device %d: %w", r.id, err)
		}
	}
	usage := make([]DeviceUsage, len(devs))
	for i, r := range roots {
		u := DeviceUsage{Details: devs[i], BlockBytes: m.sb.DataBlockBytes()}
		err := m.walkMappings(r.root, func(v, d uint64, _ uint32) error {
			u.MappedBlocks++
			if counts.once(d) {
				u.ExclusiveBlocks++
			}
			u.HighestMapped = v
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("compute usage of thin device %d: %w", r.id, err)
		}
		u.SharedBlocks = u.MappedBlocks - u.ExclusiveBlocks
		usage[i] = u
	}
	return usage, nil
}

// devicesWithRoots returns the device details and the mapping roots, and
// checks that both trees list the same devices.
func (m *Metadata) devicesWithRoots() ([]DeviceDetails, []devRoot, error) {
	devs, err := m.Devices()
	if err != nil {
		return nil, nil, err
	}
	roots, err := m.deviceRoots()
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i < len(devs) || i < len(roots); i++ {
		switch {
		case i >= len(roots) || (i < len(devs) && devs[i].ID < roots[i].id):
			return nil, nil, corruptf(m.sb.DataMappingRoot, "btree node", "thin device %d has details but no mapping tree", devs[i].ID)
		case i >= len(devs) || roots[i].id < devs[i].ID:
			return nil, nil, corruptf(m.sb.DeviceDetailsRoot, "btree node", "thin device %d has a mapping tree but no details", roots[i].id)
		}
	}
	return devs, roots, nil
}

// blockCounter records, with 2 bits per block, whether a data block was
// seen never, once or more than once. It is sparse: chunks are allocated
// only for the ranges seen.
type blockCounter struct {
	chunks map[uint64]*[counterWords]uint64
}

const (
	counterWords      = 64
	counterChunkBlock = counterWords * 32 // blocks per chunk
)

func (c *blockCounter) inc(b uint64) {
	if c.chunks == nil {
		c.chunks = make(map[uint64]*[counterWords]uint64)
	}
	ch := c.chunks[b/counterChunkBlock]
	if ch == nil {
		ch = new([counterWords]uint64)
		c.chunks[b/counterChunkBlock] = ch
	}
	i := b % counterChunkBlock
	w, sh := &ch[i/32], 2*(i%32)
	switch (*w >> sh) & 3 {
	case 0:
		*w |= 1 << sh
	case 1:
		*w += 1 << sh // 1 → 2: seen more than once
	}
}

func (c *blockCounter) once(b uint64) bool {
	ch := c.chunks[b/counterChunkBlock]
	if ch == nil {
		return false
	}
	i := b % counterChunkBlock
	return (ch[i/32]>>(2*(i%32)))&3 == 1
}
