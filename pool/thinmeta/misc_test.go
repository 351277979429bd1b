package thinmeta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

func TestBlockChecksum(t *testing.T) {
	img := loadImage(t, "snapshots")
	m := openImage(t, img)
	ms, err := m.MetadataSpaceMap()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		loc  uint64
		kind blockKind
	}{
		{"superblock", 0, kindSuperblock},
		{"btree node", m.sb.DeviceDetailsRoot, kindNode},
		{"bitmap", ms.index[1].blocknr, kindBitmap},
		{"index", m.sb.MetadataSpaceMap.BitmapRoot, kindIndex},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := img[tc.loc*BlockSize : (tc.loc+1)*BlockSize]
			want := binary.LittleEndian.Uint32(b)
			if got := blockChecksum(b, tc.kind); got != want {
				t.Errorf("blockChecksum(block %d, %s) = %#08x, want %#08x (as written by thin_restore)", tc.loc, tc.kind, got, want)
			}
			if err := checkBlock(b, tc.loc, tc.kind); err != nil {
				t.Errorf("checkBlock(block %d, %s) = %v, want nil", tc.loc, tc.kind, err)
			}
			for k := blockKind(0); k < nrKinds; k++ {
				if err := checkBlock(b, tc.loc, k); k != tc.kind && !errors.Is(err, ErrChecksum) {
					t.Errorf("checkBlock(block %d, %s) of a %s = %v, want ErrChecksum", tc.loc, k, tc.kind, err)
				}
			}
			if err := checkBlock(b, tc.loc+1, tc.kind); !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrChecksum) {
				t.Errorf("checkBlock(block %d at %d) = %v, want a block number error", tc.loc, tc.loc+1, err)
			}
		})
	}
}

func TestLRU(t *testing.T) {
	c := lru{capacity: 3, entries: make(map[uint64]*lruEntry)}
	for i := uint64(1); i <= 3; i++ {
		c.add(i, []byte{byte(i)}, 1)
	}
	if c.get(1) == nil { // 1 becomes the most recent; 2 the least
		t.Fatalf("get(1) = nil, want the entry")
	}
	c.add(4, []byte{4}, 1)
	tests := []struct {
		loc     uint64
		present bool
	}{{1, true}, {2, false}, {3, true}, {4, true}}
	for _, tc := range tests {
		if got := c.entries[tc.loc] != nil; got != tc.present {
			t.Errorf("after evicting, entry %d present = %t, want %t", tc.loc, got, tc.present)
		}
	}
	var order []uint64
	for e := c.head; e != nil; e = e.next {
		order = append(order, e.loc)
	}
	if want := []uint64{4, 1, 3}; !equalUint64s(order, want) {
		t.Errorf("LRU order = %v, want %v", order, want)
	}
	var back []uint64
	for e := c.tail; e != nil; e = e.prev {
		back = append(back, e.loc)
	}
	if want := []uint64{3, 1, 4}; !equalUint64s(back, want) {
		t.Errorf("LRU order from the tail = %v, want %v", back, want)
	}
}

func equalUint64s(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseDumpXML(t *testing.T) {
	tests := []struct {
		name    string
		xml     string
		want    []Run // runs of the first device
		wantErr string
	}{
		{
			name: "merges and sorts",
			xml: `<superblock uuid="u" time="1" transaction="2" data_block_size="128" nr_data_blocks="100"><device dev_id="7">
				<single_mapping origin_block="12" data_block="52" time="0"/>
				<range_mapping origin_begin="10" data_begin="50" length="2" time="0"/>
				<single_mapping origin_block="13" data_block="53" time="1"/>
				<single_mapping origin_block="14" data_block="90" time="1"/></device></superblock>`,
			want: []Run{{10, 50, 3, 0}, {13, 53, 1, 1}, {14, 90, 1, 1}},
		},
		{
			name:    "zero length",
			xml:     `<superblock><device dev_id="1"><range_mapping origin_begin="0" data_begin="0" length="0" time="0"/></device></superblock>`,
			wantErr: "length 0",
		},
		{
			name:    "unknown element",
			xml:     `<superblock><device dev_id="1"><def name="x"/></device></superblock>`,
			wantErr: "unsupported element <def>",
		},
		{
			name:    "not a number",
			xml:     `<superblock time="x"></superblock>`,
			wantErr: "parse metadata xml",
		},
		{
			name:    "not xml",
			xml:     `hello`,
			wantErr: "parse metadata xml",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDumpXML(strings.NewReader(tc.xml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseDumpXML() = %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDumpXML() = %v", err)
			}
			if d.UUID != "u" || d.Time != 1 || d.TransactionID != 2 || d.DataBlockSize != 128 || d.NrDataBlocks != 100 {
				t.Errorf("ParseDumpXML() superblock = %+v", d)
			}
			got := d.Devices[0].Runs
			if len(got) != len(tc.want) {
				t.Fatalf("ParseDumpXML() runs = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("ParseDumpXML() run %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDiffDumps(t *testing.T) {
	base := func() *Dump {
		return &Dump{Time: 1, TransactionID: 2, DataBlockSize: 128, NrDataBlocks: 100, Devices: []DeviceDump{
			{Details: DeviceDetails{ID: 1, MappedBlocks: 3}, Runs: []Run{{0, 10, 3, 0}}},
			{Details: DeviceDetails{ID: 2}},
		}}
	}
	tests := []struct {
		name   string
		change func(d *Dump)
		want   []string
	}{
		{"equal", func(*Dump) {}, nil},
		{"superblock", func(d *Dump) { d.TransactionID = 3 }, []string{"superblock transaction = 3, want 2"}},
		{"missing device", func(d *Dump) { d.Devices = d.Devices[:1] }, []string{"thin device 2 missing"}},
		{"extra device", func(d *Dump) { d.Devices = append(d.Devices, DeviceDump{Details: DeviceDetails{ID: 9}}) }, []string{"thin device 9 unexpected"}},
		{"details", func(d *Dump) { d.Devices[1].Details.CreationTime = 4 }, []string{"thin device 2 details = {ID:2 MappedBlocks:0 TransactionID:0 CreationTime:4 SnapshottedTime:0}, want {ID:2 MappedBlocks:0 TransactionID:0 CreationTime:0 SnapshottedTime:0}"}},
		{"run", func(d *Dump) { d.Devices[0].Runs[0].Time = 1 }, []string{"thin device 1 run 0 = {OriginBegin:0 DataBegin:10 Length:3 Time:1}, want {OriginBegin:0 DataBegin:10 Length:3 Time:0}"}},
		{"runs", func(d *Dump) { d.Devices[0].Runs = nil }, []string{"thin device 1 has 0 runs (0 blocks), want 1 runs (3 blocks)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := base()
			tc.change(got)
			diffs := DiffDumps(base(), got)
			if strings.Join(diffs, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("DiffDumps() = %q, want %q", diffs, tc.want)
			}
		})
	}
	many := base()
	for i := uint32(10); i < 60; i++ {
		many.Devices = append(many.Devices, DeviceDump{Details: DeviceDetails{ID: i}})
	}
	if diffs := DiffDumps(base(), many); len(diffs) != maxDiffs {
		t.Errorf("DiffDumps() with 50 extra devices gave %d lines, want %d", len(diffs), maxDiffs)
	}
}

// TestUsageSharedSubtree makes thin device 5 share device 1's mapping
// subtree, as create_snap leaves origin and snapshot: the data blocks keep a
// reference count of 1, yet both devices map them, so none is exclusive.
func TestUsageSharedSubtree(t *testing.T) {
	img := loadImage(t, "basic")
	m := openImage(t, img)
	root1, err := m.deviceRoot(1)
	if err != nil {
		t.Fatal(err)
	}
	top := nodeAt(t, img, m.sb.DataMappingRoot)
	for i := 0; i < top.nr; i++ {
		if top.key(i) == 5 {
			binary.LittleEndian.PutUint64(top.value(i), root1)
		}
	}
	reseal(img, top.loc, kindNode)
	m = openImage(t, img)
	usage, err := m.Usage()
	if err != nil {
		t.Fatalf("Usage() = %v", err)
	}
	type counts struct{ mapped, exclusive, shared uint64 }
	want := map[uint32]counts{0: {10, 9, 1}, 1: {6, 0, 6}, 5: {6, 0, 6}, 1<<24 - 1: {1, 1, 0}}
	for _, u := range usage {
		if got := (counts{u.MappedBlocks, u.ExclusiveBlocks, u.SharedBlocks}); got != want[u.Details.ID] {
			t.Errorf("Usage() of thin device %d = %+v, want %+v", u.Details.ID, got, want[u.Details.ID])
		}
	}
	if c, err := m.DataRefCount(7); err != nil || c != 1 {
		t.Errorf("DataRefCount(7) = %d, %v, want 1 (subtree sharing does not count)", c, err)
	}

	if _, err := exec.LookPath("thin_ls"); err != nil {
		t.Skip("thin_ls not installed; skipping the cross-check")
	}
	path := writeImage(t, img)
	out, err := exec.Command("thin_ls", "--no-headers", "-o", "DEV,EXCLUSIVE_BLOCKS", path).Output()
	if err != nil {
		t.Fatalf("thin_ls: %v", err)
	}
	var got bytes.Buffer
	for _, u := range usage {
		fmt.Fprintf(&got, "%d %d\n", u.Details.ID, u.ExclusiveBlocks)
	}
	var norm bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		norm.WriteString(strings.Join(strings.Fields(line), " ") + "\n")
	}
	if got.String() != norm.String() {
		t.Errorf("Usage() exclusive blocks:\n%s\nthin_ls says:\n%s", got.String(), norm.String())
	}
}

// TestConcurrentReads reads one Metadata from several goroutines (run with
// -race) and checks they all see the same content.
func TestConcurrentReads(t *testing.T) {
	m := openImage(t, loadImage(t, "snapshots"))
	want := loadDump(t, "snapshots")
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			d, err := m.Dump()
			if err == nil {
				if diffs := DiffDumps(want, d); diffs != nil {
					err = fmt.Errorf("Dump() differs: %v", diffs)
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
