package thinmeta

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// defaultCacheBlocks is the number of metadata blocks kept in memory; the
// kernel's own dm-thin metadata cache is of the same order. Walks need only
// the path from the root (a handful of blocks) to stay cached.
const defaultCacheBlocks = 64

// blockReader reads, validates and caches metadata blocks. It is safe for
// concurrent use. Cached buffers are never reused, so a caller may keep a
// block it was given while others are evicted.
type blockReader struct {
	r        io.ReaderAt
	nrBlocks uint64 // blocks on the device; every pointer must be below
	verify   bool   // check checksums and block numbers (off only in fuzzing)

	mu    sync.Mutex
	cache lru
}

func newBlockReader(r io.ReaderAt, size int64, capacity int) *blockReader {
	var nr uint64
	if size > 0 {
		nr = uint64(size) / BlockSize
	}
	return &blockReader{
		r:        r,
		nrBlocks: nr,
		verify:   true,
		cache:    lru{capacity: capacity, entries: make(map[uint64]*lruEntry, capacity)},
	}
}

// read returns block loc validated as kind k. The returned slice must not be
// modified.
func (br *blockReader) read(loc uint64, k blockKind) ([]byte, error) {
	br.mu.Lock()
	defer br.mu.Unlock()
	if e := br.cache.get(loc); e != nil {
		if e.checked&(1<<k) != 0 {
			return e.data, nil
		}
		if err := br.check(e.data, loc, k); err != nil {
			return nil, err
		}
		e.checked |= 1 << k
		return e.data, nil
	}
	b, err := br.readRaw(loc, k.String())
	if err != nil {
		return nil, err
	}
	if err := br.check(b, loc, k); err != nil {
		return nil, err
	}
	br.cache.add(loc, b, 1<<k)
	return b, nil
}

// readRaw reads block loc from the device, bypassing the cache; what names
// the expected kind of block in errors.
func (br *blockReader) readRaw(loc uint64, what string) ([]byte, error) {
	if loc >= br.nrBlocks {
		return nil, corruptf(loc, what, "beyond the end of the metadata device (%d blocks)", br.nrBlocks)
	}
	b := make([]byte, BlockSize)
	n, err := br.r.ReadAt(b, int64(loc)*BlockSize)
	if n < BlockSize {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, &CorruptError{Block: loc, What: what, Reason: "metadata device is truncated", Err: io.ErrUnexpectedEOF}
		}
		return nil, fmt.Errorf("read metadata block %d: %w", loc, err)
	}
	return b, nil
}

func (br *blockReader) check(b []byte, loc uint64, k blockKind) error {
	if !br.verify {
		return nil
	}
	return checkBlock(b, loc, k)
}

// lru is a fixed-capacity least-recently-used block cache.
type lru struct {
	capacity int
	entries  map[uint64]*lruEntry
	head     *lruEntry // most recently used
	tail     *lruEntry // least recently used
}

type lruEntry struct {
	loc        uint64
	data       []byte
	checked    uint8 // bit (1 << blockKind) set once validated as that kind
	prev, next *lruEntry
}

func (c *lru) get(loc uint64) *lruEntry {
	e := c.entries[loc]
	if e != nil && e != c.head {
		c.unlink(e)
		c.pushFront(e)
	}
	return e
}

func (c *lru) add(loc uint64, data []byte, checked uint8) {
	if c.capacity <= 0 {
		return
	}
	if len(c.entries) >= c.capacity {
		old := c.tail
		c.unlink(old)
		delete(c.entries, old.loc)
	}
	e := &lruEntry{loc: loc, data: data, checked: checked}
	c.entries[loc] = e
	c.pushFront(e)
}

func (c *lru) unlink(e *lruEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *lru) pushFront(e *lruEntry) {
	e.next = c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}
