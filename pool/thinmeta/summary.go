package thinmeta

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Summary gathers what a test compares with thin_dump, thin_ls and
// thin_check run on the same metadata.
type Summary struct {
	Superblock Superblock
	Snapshot   bool          // the view is a metadata snapshot
	Dump       *Dump         // devices, details and mappings
	Usage      []DeviceUsage // per device, in id order
	// DataRefCounts maps every data block with a non-zero reference count
	// to that count (from the data space map); nil for a snapshot.
	DataRefCounts map[uint64]uint32
	// FreeDataBlocks is the number of data blocks in free runs; 0 for a
	// snapshot.
	FreeDataBlocks uint64
}

// Summary reads everything of this view: dump, usage and, unless it is a
// snapshot, the data space map. It holds all of it in memory.
func (m *Metadata) Summary() (*Summary, error) {
	d, err := m.Dump()
	if err != nil {
		return nil, err
	}
	u, err := m.Usage()
	if err != nil {
		return nil, err
	}
	s := &Summary{Superblock: m.sb, Snapshot: m.snapshot, Dump: d, Usage: u}
	if m.snapshot {
		return s, nil
	}
	sm, err := m.DataSpaceMap()
	if err != nil {
		return nil, err
	}
	s.DataRefCounts = make(map[uint64]uint32)
	err = sm.RefCounts(func(b uint64, c uint32) error {
		s.DataRefCounts[b] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = sm.FreeRuns(func(_, n uint64) error {
		s.FreeDataBlocks += n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// File is a [Metadata] read from a file or block device, which Close
// releases.
type File struct {
	*Metadata
	c io.Closer
}

// Close closes the underlying file.
func (f *File) Close() error { return f.c.Close() }

// OpenFile opens the metadata in a regular file (or a block device, through
// the page cache).
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open thin metadata %s: %w", path, err)
	}
	return openFrom(path, f, f)
}

// OpenDevice opens the metadata on a block device, bypassing the page cache
// (O_DIRECT) where the system allows it: the kernel writes pool metadata
// under the page cache of the device, so cached pages can be stale. It falls
// back to OpenFile's behaviour elsewhere.
func OpenDevice(path string) (*File, error) {
	r, f, err := openDirect(path)
	if err != nil {
		return nil, fmt.Errorf("open thin metadata %s: %w", path, err)
	}
	return openFrom(path, r, f)
}

func openFrom(path string, r io.ReaderAt, f *os.File) (*File, error) {
	size, err := f.Seek(0, io.SeekEnd) // Stat reports 0 for block devices
	if err != nil {
		return nil, errors.Join(fmt.Errorf("size of thin metadata %s: %w", path, err), f.Close())
	}
	m, err := Open(r, size)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", path, err), f.Close())
	}
	return &File{Metadata: m, c: f}, nil
}

// ReadFile returns the [Summary] of the live metadata in a file.
func ReadFile(path string) (*Summary, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	return summarize(path, f)
}

// ReadDevice returns the [Summary] of the live metadata on a block device
// (see OpenDevice). The pool should not be active; for an active pool, open
// the device and read the metadata snapshot.
func ReadDevice(path string) (*Summary, error) {
	f, err := OpenDevice(path)
	if err != nil {
		return nil, err
	}
	return summarize(path, f)
}

func summarize(path string, f *File) (*Summary, error) {
	s, err := f.Summary()
	cerr := f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cerr != nil {
		return nil, fmt.Errorf("close thin metadata %s: %w", path, cerr)
	}
	return s, nil
}
