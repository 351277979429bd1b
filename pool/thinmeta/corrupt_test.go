package thinmeta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

// nodeAt decodes the btree node at loc of img; writes through its slices
// change img.
func nodeAt(t *testing.T, img []byte, loc uint64) node {
	t.Helper()
	n, err := parseNode(img[loc*BlockSize:(loc+1)*BlockSize], loc)
	if err != nil {
		t.Fatalf("node at %d: %v", loc, err)
	}
	return n
}

// readAll runs everything a reader can be asked, stopping at the first
// error.
func readAll(m *Metadata) error {
	if _, err := m.Summary(); err != nil {
		return err
	}
	ms, err := m.MetadataSpaceMap()
	if err != nil {
		return err
	}
	return ms.RefCounts(func(uint64, uint32) error { return nil })
}

func TestCorruptMetadata(t *testing.T) {
	le := binary.LittleEndian
	put32 := func(img []byte, loc uint64, off int, v uint32) { le.PutUint32(img[loc*BlockSize+uint64(off):], v) }
	put64 := func(img []byte, loc uint64, off int, v uint64) { le.PutUint64(img[loc*BlockSize+uint64(off):], v) }
	originRoot := func(t *testing.T, m *Metadata) uint64 {
		t.Helper()
		r, err := m.deviceRoot(1)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name        string
		fixture     string
		mutate      func(t *testing.T, img []byte, m *Metadata)
		notCorrupt  bool   // a refusal, not corruption
		checksum    bool   // the error must match ErrChecksum
		errContains string // part of the message
	}{
		{
			name: "superblock checksum", fixture: "basic", checksum: true, errContains: "checksum",
			mutate: func(t *testing.T, img []byte, m *Metadata) { img[400] ^= 1 },
		},
		{
			name: "bad magic", fixture: "basic", errContains: "magic",
			mutate: func(t *testing.T, img []byte, m *Metadata) { put64(img, 0, sbMagic, 1); reseal(img, 0, kindSuperblock) },
		},
		{
			name: "zeroed superblock", fixture: "basic", errContains: "magic",
			mutate: func(t *testing.T, img []byte, m *Metadata) { clear(img[:BlockSize]) },
		},
		{
			name: "superblock block number", fixture: "basic", errContains: "records block number 5",
			mutate: func(t *testing.T, img []byte, m *Metadata) { put64(img, 0, 8, 5); reseal(img, 0, kindSuperblock) },
		},
		{
			name: "unsupported version", fixture: "basic", notCorrupt: true, errContains: "version 9",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, 0, sbVersion, 9)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "incompatible feature", fixture: "basic", notCorrupt: true, errContains: "incompatible",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, 0, sbIncompatFlags, 1)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "metadata block size", fixture: "basic", errContains: "metadata block size",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, 0, sbMetadataBlockSize, 16)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "node checksum", fixture: "basic", checksum: true, errContains: "btree node",
			mutate: func(t *testing.T, img []byte, m *Metadata) { img[m.sb.DeviceDetailsRoot*BlockSize+100] ^= 0x80 },
		},
		{
			name: "node block number", fixture: "basic", errContains: "records block number",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put64(img, m.sb.DeviceDetailsRoot, 8, 3)
				reseal(img, m.sb.DeviceDetailsRoot, kindNode)
			},
		},
		{
			name: "root beyond device", fixture: "basic", errContains: "beyond the end",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put64(img, 0, sbDeviceDetailsRoot, 1<<40)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "child beyond device", fixture: "snapshots", errContains: "beyond the end",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				le.PutUint64(nodeAt(t, img, r).value(0), 1<<40)
				reseal(img, r, kindNode)
			},
		},
		{
			name: "cycle", fixture: "snapshots", errContains: "reached twice",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				le.PutUint64(nodeAt(t, img, r).value(0), r)
				reseal(img, r, kindNode)
			},
		},
		{
			name: "shared node in one tree", fixture: "snapshots", errContains: "reached twice",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				n := nodeAt(t, img, r)
				le.PutUint64(n.value(1), n.child(0))
				reseal(img, r, kindNode)
			},
		},
		{
			name: "leaves at different depths", fixture: "snapshots", errContains: "depth",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				n := nodeAt(t, img, r)
				leaf := nodeAt(t, img, n.child(0)).child(0)
				le.PutUint64(n.value(0), leaf)
				reseal(img, r, kindNode)
			},
		},
		{
			name: "keys out of order", fixture: "snapshots", errContains: "not above the previous key",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				n := nodeAt(t, img, r)
				k0, k1 := n.key(0), n.key(1)
				put64(img, r, nodeHeaderSize, k1)
				put64(img, r, nodeHeaderSize+8, k0)
				reseal(img, r, kindNode)
			},
		},
		{
			name: "key outside parent range", fixture: "snapshots", errContains: "parent's bound",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				child := nodeAt(t, img, r).child(1)
				put64(img, child, nodeHeaderSize, 0)
				reseal(img, child, kindNode)
			},
		},
		{
			name: "internal node without entries", fixture: "snapshots", errContains: "no entries",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r := originRoot(t, m)
				put32(img, r, 16, 0)
				reseal(img, r, kindNode)
			},
		},
		{
			name: "node flags", fixture: "basic", errContains: "neither internal nor leaf",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, m.sb.DeviceDetailsRoot, 4, nodeInternal|nodeLeaf)
				reseal(img, m.sb.DeviceDetailsRoot, kindNode)
			},
		},
		{
			name: "max entries do not fit", fixture: "basic", errContains: "do not fit",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, m.sb.DeviceDetailsRoot, 20, 1000)
				reseal(img, m.sb.DeviceDetailsRoot, kindNode)
			},
		},
		{
			name: "more entries than max", fixture: "basic", errContains: "more than its maximum",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				n := nodeAt(t, img, m.sb.DeviceDetailsRoot)
				put32(img, n.loc, 16, uint32(n.max+1))
				reseal(img, n.loc, kindNode)
			},
		},
		{
			name: "wrong leaf value size", fixture: "basic", errContains: "8-byte values, want 24",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, m.sb.DeviceDetailsRoot, 24, 8)
				reseal(img, m.sb.DeviceDetailsRoot, kindNode)
			},
		},
		{
			name: "data block beyond pool", fixture: "basic", errContains: "beyond the pool's 4096 data blocks",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				r, err := m.deviceRoot(1)
				if err != nil {
					t.Fatal(err)
				}
				le.PutUint64(nodeAt(t, img, r).value(0), 4096<<timeBits)
				reseal(img, r, kindNode)
			},
		},
		{
			name: "thin id out of range", fixture: "basic", errContains: "out of range",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				n := nodeAt(t, img, m.sb.DeviceDetailsRoot)
				put64(img, n.loc, nodeHeaderSize+8*(n.nr-1), 1<<33)
				reseal(img, n.loc, kindNode)
			},
		},
		{
			name: "device without mapping tree", fixture: "basic", errContains: "no mapping tree",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				n := nodeAt(t, img, m.sb.DataMappingRoot)
				put32(img, n.loc, 16, uint32(n.nr-1))
				reseal(img, n.loc, kindNode)
			},
		},
		{
			name: "mapping tree without device", fixture: "basic", errContains: "no details",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				n := nodeAt(t, img, m.sb.DeviceDetailsRoot)
				put32(img, n.loc, 16, uint32(n.nr-1))
				reseal(img, n.loc, kindNode)
			},
		},
		{
			name: "bitmap checksum", fixture: "snapshots", checksum: true, errContains: "space map bitmap",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				ie := dataIndexEntry(t, m, 2)
				img[ie.blocknr*BlockSize+2000] ^= 4
			},
		},
		{
			name: "bitmap is a btree node", fixture: "snapshots", checksum: true, errContains: "space map bitmap",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				setDataIndexBlock(t, img, m, 2, m.sb.DataSpaceMap.BitmapRoot)
			},
		},
		{
			name: "bitmap beyond device", fixture: "snapshots", errContains: "beyond the end",
			mutate: func(t *testing.T, img []byte, m *Metadata) { setDataIndexBlock(t, img, m, 4, 1<<40) },
		},
		{
			name: "index free count", fixture: "snapshots", errContains: "free entries",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				loc, v := dataIndexValue(t, img, m, 1)
				le.PutUint32(v[8:], EntriesPerBitmap+1)
				reseal(img, loc, kindNode)
			},
		},
		{
			name: "index entry missing", fixture: "basic", errContains: "index has 0 entries, want 1",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put32(img, m.sb.DataSpaceMap.BitmapRoot, 16, 0)
				reseal(img, m.sb.DataSpaceMap.BitmapRoot, kindNode)
			},
		},
		{
			name: "count above 2 without ref-count entry", fixture: "basic", errContains: "ref-count tree has no entry",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				bm := dataIndexEntry(t, m, 0).blocknr
				img[bm*BlockSize+bitmapHeaderSize] |= 3 // entry 0: 3
				reseal(img, bm, kindBitmap)
			},
		},
		{
			name: "allocated above size", fixture: "basic", errContains: "allocated",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put64(img, 0, sbDataSpaceMap+8, 5000)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "metadata index checksum", fixture: "basic", checksum: true, errContains: "space map index",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				img[m.sb.MetadataSpaceMap.BitmapRoot*BlockSize+3000] ^= 1
			},
		},
		{
			name: "metadata space map too large", fixture: "basic", errContains: "more than 255",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put64(img, 0, sbMetadataSpaceMap, 256*EntriesPerBitmap)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "snapshot beyond device", fixture: "basic", errContains: "beyond the end",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put64(img, 0, sbHeldRoot, 1<<40)
				reseal(img, 0, kindSuperblock)
			},
		},
		{
			name: "snapshot is not a superblock", fixture: "basic", errContains: "magic",
			mutate: func(t *testing.T, img []byte, m *Metadata) {
				put64(img, 0, sbHeldRoot, m.sb.DeviceDetailsRoot)
				reseal(img, 0, kindSuperblock)
			},
		},
	}
	images := make(map[string][]byte)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig, ok := images[tc.fixture]
			if !ok {
				orig = loadImage(t, tc.fixture)
				images[tc.fixture] = orig
			}
			img := bytes.Clone(orig)
			tc.mutate(t, img, openImage(t, orig))
			err := openAndRead(img, int64(len(img)))
			if err == nil {
				t.Fatalf("reading corrupted metadata = nil error, want one containing %q", tc.errContains)
			}
			if got := errors.Is(err, ErrCorrupt); got == tc.notCorrupt {
				t.Errorf("errors.Is(%v, ErrCorrupt) = %t, want %t", err, got, !tc.notCorrupt)
			}
			if got := errors.Is(err, ErrChecksum); got != tc.checksum {
				t.Errorf("errors.Is(%v, ErrChecksum) = %t, want %t", err, got, tc.checksum)
			}
			if !strings.Contains(err.Error(), tc.errContains) {
				t.Errorf("error %q does not contain %q", err, tc.errContains)
			}
		})
	}
}

// openAndRead opens img and reads all of it, the snapshot included.
func openAndRead(img []byte, size int64) error {
	m, err := Open(bytes.NewReader(img), size)
	if err != nil {
		return err
	}
	if err := readAll(m); err != nil {
		return err
	}
	if m.sb.MetadataSnap == 0 {
		return nil
	}
	s, err := m.Snapshot()
	if err != nil {
		return err
	}
	return readAll(s)
}

// dataIndexValue returns the leaf and the value of data space map index
// entry i in img.
func dataIndexValue(t *testing.T, img []byte, m *Metadata, i uint64) (uint64, []byte) {
	t.Helper()
	leaf, _, ok, err := m.br.lookup(m.sb.DataSpaceMap.BitmapRoot, i, indexEntrySize)
	if err != nil || !ok {
		t.Fatalf("index entry %d: %t, %v", i, ok, err)
	}
	n := nodeAt(t, img, leaf)
	for j := 0; j < n.nr; j++ {
		if n.key(j) == i {
			return leaf, n.value(j)
		}
	}
	t.Fatalf("index entry %d not in leaf %d", i, leaf)
	return 0, nil
}

func dataIndexEntry(t *testing.T, m *Metadata, i uint64) indexEntry {
	t.Helper()
	sm, err := m.DataSpaceMap()
	if err != nil {
		t.Fatal(err)
	}
	ie, err := sm.indexEntry(i)
	if err != nil {
		t.Fatal(err)
	}
	return ie
}

func setDataIndexBlock(t *testing.T, img []byte, m *Metadata, i, blocknr uint64) {
	t.Helper()
	leaf, v := dataIndexValue(t, img, m, i)
	binary.LittleEndian.PutUint64(v, blocknr)
	reseal(img, leaf, kindNode)
}

func TestTruncatedDevice(t *testing.T) {
	img := loadImage(t, "snapshots")
	m := openImage(t, img)
	r, err := m.deviceRoot(1)
	if err != nil {
		t.Fatal(err)
	}
	// The device claims its full size but the reader ends within the
	// origin's mapping tree.
	cut := img[:(r+1)*BlockSize+BlockSize/2]
	err = openAndRead(cut, int64(len(img)))
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading truncated metadata = %v, want ErrCorrupt and io.ErrUnexpectedEOF", err)
	}
	if _, err := Open(bytes.NewReader(img[:100]), 100); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open(100 bytes) = %v, want ErrCorrupt", err)
	}
	if _, err := Open(bytes.NewReader(img[:100]), BlockSize); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Open(100 bytes claiming a block) = %v, want io.ErrUnexpectedEOF", err)
	}
}

// failingReader fails every read past a limit with EIO.
type failingReader struct {
	r     io.ReaderAt
	limit int64
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.limit {
		return 0, syscall.EIO
	}
	return f.r.ReadAt(p, off)
}

func TestReadError(t *testing.T) {
	img := loadImage(t, "basic")
	for _, limit := range []int64{0, BlockSize} {
		m, err := Open(failingReader{bytes.NewReader(img), limit}, int64(len(img)))
		if err == nil {
			err = readAll(m)
		}
		if !errors.Is(err, syscall.EIO) || errors.Is(err, ErrCorrupt) {
			t.Errorf("read with EIO past %d = %v, want EIO and not ErrCorrupt", limit, err)
		}
	}
}

func TestNeedsCheck(t *testing.T) {
	img := loadImage(t, "basic")
	binary.LittleEndian.PutUint32(img[sbFlags:], FlagNeedsCheck)
	reseal(img, 0, kindSuperblock)
	sb := openImage(t, img).Superblock()
	if !sb.NeedsCheck() {
		t.Errorf("NeedsCheck() = false with flags %#x, want true", sb.Flags)
	}
}
