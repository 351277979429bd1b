package thinmeta

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixtures are the pools under testdata/, made by testdata/gen.go.
var fixtures = []string{"empty", "basic", "snapshots"}

// loadImage returns the uncompressed metadata of fixture name.
func loadImage(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".meta.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openImage opens a metadata image held in memory.
func openImage(t testing.TB, img []byte) *Metadata {
	t.Helper()
	m, err := Open(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatalf("Open(image) = %v", err)
	}
	return m
}

// loadDump returns the thin_dump golden of fixture name.
func loadDump(t testing.TB, name string) *Dump {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".dump.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ParseDumpXML(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// thinLsRow is one line of the thin_ls golden (columns of gen.go's
// thinLsFields).
type thinLsRow struct {
	dev                                      uint32
	mapped, exclusive, shared                uint64
	mappedBytes, exclusiveBytes, sharedBytes uint64
	transaction                              uint64
	creation, snap                           uint32
}

func loadThinLs(t testing.TB, name string) []thinLsRow {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".thin_ls"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []thinLsRow
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue // header
		}
		fields := strings.Fields(sc.Text())
		if len(fields) != 10 {
			t.Fatalf("%s.thin_ls line %d: %d fields, want 10", name, line+1, len(fields))
		}
		var v [10]uint64
		for i, s := range fields {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Fatalf("%s.thin_ls line %d: %v", name, line+1, err)
			}
			v[i] = n
		}
		rows = append(rows, thinLsRow{uint32(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], v[7], uint32(v[8]), uint32(v[9])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// expectedRefCounts derives data block reference counts from a dump of
// metadata whose devices share no btree nodes (as thin_restore writes
// them): every mapping is one reference.
func expectedRefCounts(d *Dump) map[uint64]uint32 {
	counts := make(map[uint64]uint32)
	for _, dev := range d.Devices {
		for _, r := range dev.Runs {
			for i := uint64(0); i < r.Length; i++ {
				counts[r.DataBegin+i]++
			}
		}
	}
	return counts
}

// freeRuns derives the free runs of [0, nr) from reference counts.
func freeRuns(counts map[uint64]uint32, nr uint64) [][2]uint64 {
	var runs [][2]uint64
	for b := uint64(0); b < nr; b++ {
		if counts[b] != 0 {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][0]+runs[n-1][1] == b {
			runs[n-1][1]++
		} else {
			runs = append(runs, [2]uint64{b, 1})
		}
	}
	return runs
}

// reseal recomputes the checksum of block loc of img as kind k, after a
// test changed it.
func reseal(img []byte, loc uint64, k blockKind) {
	b := img[loc*BlockSize : (loc+1)*BlockSize]
	binary.LittleEndian.PutUint32(b, blockChecksum(b, k))
}

// reachable returns every metadata block reachable from the superblock of
// m: the superblock, all btree nodes, bitmaps and index blocks.
func reachable(t testing.TB, m *Metadata) map[uint64]bool {
	t.Helper()
	blocks := map[uint64]bool{m.sb.Location: true}
	collect := func(root uint64, valueSize int, fn leafFunc) {
		t.Helper()
		w := walker{br: m.br, valueSize: valueSize, leafDepth: -1}
		if fn == nil {
			fn = func(uint64, uint64, []byte) error { return nil }
		}
		if err := w.visit(root, 0, 0, 0, false, fn); err != nil {
			t.Fatalf("walk tree at %d: %v", root, err)
		}
		for word, bits := range w.visited.words {
			for i := uint64(0); i < 64; i++ {
				if bits&(1<<i) != 0 {
					blocks[word*64+i] = true
				}
			}
		}
	}
	collect(m.sb.DeviceDetailsRoot, detailsSize, nil)
	var roots []uint64
	collect(m.sb.DataMappingRoot, mappingSize, func(_, _ uint64, v []byte) error {
		roots = append(roots, binary.LittleEndian.Uint64(v))
		return nil
	})
	for _, r := range roots {
		collect(r, mappingSize, nil)
	}
	if m.snapshot {
		return blocks
	}
	for _, smr := range []SpaceMapRoot{m.sb.DataSpaceMap, m.sb.MetadataSpaceMap} {
		collect(smr.RefCountRoot, refCountSize, nil)
	}
	collect(m.sb.DataSpaceMap.BitmapRoot, indexEntrySize, func(_, _ uint64, v []byte) error {
		blocks[parseIndexEntry(v).blocknr] = true
		return nil
	})
	ms, err := m.MetadataSpaceMap()
	if err != nil {
		t.Fatal(err)
	}
	blocks[m.sb.MetadataSpaceMap.BitmapRoot] = true
	for _, ie := range ms.index {
		blocks[ie.blocknr] = true
	}
	return blocks
}
