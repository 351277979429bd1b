package thinmeta

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// seedImage returns fixture name cut after its last reachable block, small
// enough to seed a fuzzer.
func seedImage(t testing.TB, name string) []byte {
	t.Helper()
	img := loadImage(t, name)
	var last uint64
	for b := range reachable(t, openImage(t, img)) {
		last = max(last, b)
	}
	return img[:(last+1)*BlockSize]
}

// packImage encodes an image compactly for the fuzzer: each block as a
// 2-byte length and its bytes up to the last non-zero one.
func packImage(img []byte) []byte {
	var out []byte
	for off := 0; off < len(img); off += BlockSize {
		b := bytes.TrimRight(img[off:off+BlockSize], "\x00")
		out = binary.LittleEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

// unpackImage decodes packImage's encoding, whatever the input.
func unpackImage(data []byte) []byte {
	var img []byte
	for len(data) >= 2 {
		n := min(int(binary.LittleEndian.Uint16(data)), BlockSize, len(data)-2)
		img = append(img, block(data[2:2+n])...)
		data = data[2+n:]
	}
	return img
}

// block pads or cuts data to one metadata block.
func block(data []byte) []byte {
	b := make([]byte, BlockSize)
	copy(b, data)
	return b
}

// FuzzOpen reads whole fuzzed metadata images (packed, see packImage), with
// checksums checked and, to let the fuzzer past them, unchecked. Nothing may
// panic.
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"empty", "basic"} {
		f.Add(packImage(seedImage(f, name)))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, packed []byte) {
		data := unpackImage(packed)
		for _, verify := range []bool{true, false} {
			m, err := open(bytes.NewReader(data), int64(len(data)), verify)
			if err != nil {
				continue
			}
			_ = readAll(m)
			if s, err := m.Snapshot(); err == nil {
				_ = readAll(s)
			}
			for b := uint64(0); b < 64; b++ {
				_, _ = m.DataRefCount(b)
				_, _, _, _ = m.Lookup(uint32(b%4), b)
			}
		}
	})
}

// FuzzSuperblock decodes fuzzed superblocks.
func FuzzSuperblock(f *testing.F) {
	f.Add(loadImage(f, "basic")[:BlockSize])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseSuperblock(data, 0)
		b := block(data)
		if _, err := parseSuperblock(b, 0, false); err == nil {
			if _, err := ParseSuperblock(b, 0); err == nil && blockChecksum(b, kindSuperblock) != binary.LittleEndian.Uint32(b) {
				t.Errorf("ParseSuperblock accepted a block with a bad checksum")
			}
		}
	})
}

// FuzzBtreeNode decodes a fuzzed btree node, walks it as the root of a
// tree (whose children are the node itself or out of range) and looks keys
// up in it.
func FuzzBtreeNode(f *testing.F) {
	img := seedImage(f, "snapshots")
	m := openImage(f, img)
	root, err := m.deviceRoot(1)
	if err != nil {
		f.Fatal(err)
	}
	for _, loc := range []uint64{root, m.sb.DeviceDetailsRoot, m.sb.DataSpaceMap.BitmapRoot} {
		n, err := parseNode(img[loc*BlockSize:(loc+1)*BlockSize], loc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(img[loc*BlockSize:(loc+1)*BlockSize], uint8(n.valueSize), uint64(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, valueSize uint8, key uint64) {
		b := block(data)
		binary.LittleEndian.PutUint64(b[8:], 1)
		dev := append(make([]byte, BlockSize), b...)
		br := newBlockReader(bytes.NewReader(dev), int64(len(dev)), 4)
		br.verify = false
		n, err := parseNode(b, 1)
		if err != nil {
			return
		}
		for i := 0; i < n.nr; i++ {
			_, _ = n.key(i), n.value(i)
		}
		_ = n.checkKeys(0, 0, false)
		_ = br.walkTree(1, int(valueSize), func(_, _ uint64, v []byte) error {
			if len(v) != int(valueSize) {
				t.Errorf("walkTree gave a %d-byte value, want %d", len(v), valueSize)
			}
			return nil
		})
		_, _, _, _ = br.lookup(1, key, int(valueSize))
	})
}

// FuzzSpaceMapBitmap reads a fuzzed bitmap block through a metadata space
// map and checks that reference counts and free runs agree.
func FuzzSpaceMapBitmap(f *testing.F) {
	img := seedImage(f, "snapshots")
	m := openImage(f, img)
	sm, err := m.MetadataSpaceMap()
	if err != nil {
		f.Fatal(err)
	}
	bm := sm.index[0].blocknr
	f.Add(img[bm*BlockSize:(bm+1)*BlockSize], uint32(100), uint32(EntriesPerBitmap))
	f.Add([]byte{}, uint32(0), uint32(1))
	f.Fuzz(func(t *testing.T, data []byte, nrFree, nrBlocks uint32) {
		nr := uint64(nrBlocks) % (EntriesPerBitmap + 1)
		dev := make([]byte, 3*BlockSize)
		// Block 1: the index, one entry pointing at block 2.
		le := binary.LittleEndian
		le.PutUint64(dev[BlockSize+8:], 1)
		le.PutUint64(dev[BlockSize+indexHeaderSize:], 2)
		le.PutUint32(dev[BlockSize+indexHeaderSize+8:], nrFree)
		reseal(dev, 1, kindIndex)
		// Block 2: the fuzzed bitmap.
		copy(dev[2*BlockSize:], block(data))
		le.PutUint64(dev[2*BlockSize+8:], 2)
		reseal(dev, 2, kindBitmap)

		br := newBlockReader(bytes.NewReader(dev), int64(len(dev)), 4)
		s, err := newSpaceMap(br, "fuzzed space map", SpaceMapRoot{NrBlocks: nr, BitmapRoot: 1}, true)
		if err != nil {
			t.Fatalf("newSpaceMap() = %v", err)
		}
		var used uint64
		if err := s.RefCounts(func(uint64, uint32) error { used++; return nil }); err != nil {
			return // a count above 2 with no ref-count tree, or a bad index
		}
		var free, next uint64
		err = s.FreeRuns(func(start, length uint64) error {
			if length == 0 || start < next || start+length > nr {
				t.Errorf("FreeRuns() gave run %d+%d after %d, of %d blocks", start, length, next, nr)
			}
			next = start + length + 1
			free += length
			return nil
		})
		if err != nil {
			return
		}
		if nrFree > 0 && used+free != nr {
			t.Errorf("RefCounts() found %d used and FreeRuns() %d free of %d blocks", used, free, nr)
		}
	})
}

// FuzzParseDumpXML parses fuzzed thin_dump XML; what parses must survive
// a WriteXML round trip.
func FuzzParseDumpXML(f *testing.F) {
	for _, name := range []string{"empty", "basic"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".dump.xml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<superblock><device dev_id="3"><range_mapping origin_begin="5" data_begin="1" length="2" time="1"/><single_mapping origin_block="4" data_block="0" time="1"/></device></superblock>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDumpXML(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := d.WriteXML(&buf); err != nil {
			t.Fatalf("WriteXML() = %v", err)
		}
		again, err := ParseDumpXML(&buf)
		if err != nil {
			t.Fatalf("ParseDumpXML(WriteXML()) = %v\n%s", err, buf.Bytes())
		}
		again.UUID = d.UUID // EscapeText replaces characters XML cannot carry
		if diffs := DiffDumps(d, again); diffs != nil {
			t.Errorf("WriteXML() round trip differs:\n%s", joinLines(diffs))
		}
	})
}
