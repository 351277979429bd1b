package thinmeta

import (
	"encoding/binary"
	"sort"
)

// Btree node layout (struct node_header, dm-btree-internal.h): csum u32,
// flags u32, blocknr u64, nr_entries u32, max_entries u32, value_size u32,
// padding u32; then max_entries u64 keys; then max_entries values.
const (
	nodeHeaderSize = 32
	nodeInternal   = 1
	nodeLeaf       = 2

	// maxDepth bounds every descent. Real trees are far shallower: even
	// at the minimum fill of a node, ten levels hold 2^64 keys.
	maxDepth = 16
)

// node is a decoded btree node; it refers to the block's bytes.
type node struct {
	loc       uint64
	internal  bool
	nr        int
	max       int
	valueSize int
	b         []byte
}

// parseNode decodes a btree node header and checks that the entries it
// claims fit in the block. Checksum and block number are checked by the
// block reader.
func parseNode(b []byte, loc uint64) (node, error) {
	const what = "btree node"
	if len(b) != BlockSize {
		return node{}, corruptf(loc, what, "block is %d bytes, want %d", len(b), BlockSize)
	}
	le := binary.LittleEndian
	flags := le.Uint32(b[4:])
	nr := le.Uint32(b[16:])
	maxEntries := le.Uint32(b[20:])
	valueSize := le.Uint32(b[24:])
	n := node{loc: loc, b: b}
	switch flags {
	case nodeInternal:
		n.internal = true
	case nodeLeaf:
	default:
		return node{}, corruptf(loc, what, "flags %#x are neither internal nor leaf", flags)
	}
	if nodeHeaderSize+(8+uint64(valueSize))*uint64(maxEntries) > BlockSize {
		return node{}, corruptf(loc, what, "%d entries of %d-byte values do not fit in a block", maxEntries, valueSize)
	}
	if nr > maxEntries {
		return node{}, corruptf(loc, what, "%d entries, more than its maximum %d", nr, maxEntries)
	}
	n.nr, n.max, n.valueSize = int(nr), int(maxEntries), int(valueSize)
	return n, nil
}

func (n node) key(i int) uint64 {
	return binary.LittleEndian.Uint64(n.b[nodeHeaderSize+8*i:])
}

func (n node) value(i int) []byte {
	off := nodeHeaderSize + 8*n.max + n.valueSize*i
	return n.b[off : off+n.valueSize : off+n.valueSize]
}

// checkKeys verifies that keys are strictly increasing and lie in
// [lo, hi) (hi only when bounded).
func (n node) checkKeys(lo, hi uint64, bounded bool) error {
	for i := 0; i < n.nr; i++ {
		k := n.key(i)
		switch {
		case i > 0 && k <= n.key(i-1):
			return corruptf(n.loc, "btree node", "key %d at %d is not above the previous key %d", k, i, n.key(i-1))
		case k < lo:
			return corruptf(n.loc, "btree node", "key %d is below its parent's bound %d", k, lo)
		case bounded && k >= hi:
			return corruptf(n.loc, "btree node", "key %d is not below its parent's bound %d", k, hi)
		}
	}
	return nil
}

// checkShape verifies the value size of a node of a tree whose leaves hold
// valueSize-byte values; internal nodes hold 8-byte block pointers.
func (n node) checkShape(valueSize int) error {
	if n.internal {
		if n.valueSize != 8 {
			return corruptf(n.loc, "btree node", "internal node with %d-byte values, want 8", n.valueSize)
		}
		if n.nr == 0 {
			return corruptf(n.loc, "btree node", "internal node with no entries")
		}
		return nil
	}
	if n.valueSize != valueSize {
		return corruptf(n.loc, "btree node", "leaf with %d-byte values, want %d", n.valueSize, valueSize)
	}
	return nil
}

func (n node) child(i int) uint64 {
	return binary.LittleEndian.Uint64(n.value(i))
}

// leafFunc receives each entry of a btree, in key order, with the block of
// the leaf that holds it. value refers to cached metadata and must not be
// modified or kept.
type leafFunc func(leaf, key uint64, value []byte) error

// walkTree visits every entry of the single-level btree at root, in key
// order, validating each node. A node reached twice is an error.
func (br *blockReader) walkTree(root uint64, valueSize int, fn leafFunc) error {
	w := walker{br: br, valueSize: valueSize, leafDepth: -1}
	return w.visit(root, 0, 0, 0, false, fn)
}

type walker struct {
	br        *blockReader
	valueSize int
	leafDepth int
	visited   blockSet
}

func (w *walker) visit(loc uint64, depth int, lo, hi uint64, bounded bool, fn leafFunc) error {
	if depth > maxDepth {
		return corruptf(loc, "btree node", "tree deeper than %d levels", maxDepth)
	}
	if !w.visited.add(loc) {
		return corruptf(loc, "btree node", "reached twice in one tree (cycle or shared node)")
	}
	b, err := w.br.read(loc, kindNode)
	if err != nil {
		return err
	}
	n, err := parseNode(b, loc)
	if err != nil {
		return err
	}
	if err := n.checkShape(w.valueSize); err != nil {
		return err
	}
	if err := n.checkKeys(lo, hi, bounded); err != nil {
		return err
	}
	if n.internal {
		for i := 0; i < n.nr; i++ {
			clo, chi, cbounded := n.key(i), hi, bounded
			if i+1 < n.nr {
				chi, cbounded = n.key(i+1), true
			}
			if err := w.visit(n.child(i), depth+1, clo, chi, cbounded, fn); err != nil {
				return err
			}
		}
		return nil
	}
	if w.leafDepth < 0 {
		w.leafDepth = depth
	} else if depth != w.leafDepth {
		return corruptf(loc, "btree node", "leaf at depth %d, other leaves at depth %d", depth, w.leafDepth)
	}
	for i := 0; i < n.nr; i++ {
		if err := fn(loc, n.key(i), n.value(i)); err != nil {
			return err
		}
	}
	return nil
}

// lookup finds key in the single-level btree at root. It returns the leaf
// holding it and its value (which must not be modified), or ok false.
func (br *blockReader) lookup(root, key uint64, valueSize int) (leaf uint64, value []byte, ok bool, err error) {
	loc := root
	for depth := 0; ; depth++ {
		if depth > maxDepth {
			return 0, nil, false, corruptf(loc, "btree node", "tree deeper than %d levels", maxDepth)
		}
		b, err := br.read(loc, kindNode)
		if err != nil {
			return 0, nil, false, err
		}
		n, err := parseNode(b, loc)
		if err != nil {
			return 0, nil, false, err
		}
		if err := n.checkShape(valueSize); err != nil {
			return 0, nil, false, err
		}
		// The last entry whose key is <= key.
		i := sort.Search(n.nr, func(i int) bool { return n.key(i) > key }) - 1
		if n.internal {
			if i < 0 {
				return 0, nil, false, nil
			}
			loc = n.child(i)
			continue
		}
		if i < 0 || n.key(i) != key {
			return 0, nil, false, nil
		}
		return loc, n.value(i), true, nil
	}
}

// blockSet is a sparse set of block numbers.
type blockSet struct {
	words map[uint64]uint64
}

// add inserts b and reports whether it was absent.
func (s *blockSet) add(b uint64) bool {
	if s.words == nil {
		s.words = make(map[uint64]uint64)
	}
	w, bit := b/64, uint64(1)<<(b%64)
	if s.words[w]&bit != 0 {
		return false
	}
	s.words[w] |= bit
	return true
}
