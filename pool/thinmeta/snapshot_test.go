package thinmeta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// withSnapshot builds what reserve_metadata_snap leaves on disk, from two
// fixtures: a copy of live whose superblock holds a metadata snapshot with
// the content of snap. thin_restore cannot make snapshots, so the trees of
// snap are copied into free blocks of live from block off on (block
// numbers and child pointers shifted, checksums redone), and a copy of
// snap's superblock with its space map roots wiped, as the kernel does,
// is written after them. It returns the image and the snapshot's block.
func withSnapshot(t *testing.T, live, snap []byte, off uint64) ([]byte, uint64) {
	t.Helper()
	img := bytes.Clone(live)
	src := openImage(t, snap)
	le := binary.LittleEndian
	var maxLoc uint64
	moved := make(map[uint64]uint64)
	var relocate func(loc uint64, top bool) uint64
	relocate = func(loc uint64, top bool) uint64 {
		if to, ok := moved[loc]; ok {
			return to
		}
		to := loc + off
		moved[loc] = to
		maxLoc = max(maxLoc, to)
		b := img[to*BlockSize : (to+1)*BlockSize]
		if !bytes.Equal(b, make([]byte, BlockSize)) {
			t.Fatalf("block %d of the live image is in use", to)
		}
		copy(b, snap[loc*BlockSize:(loc+1)*BlockSize])
		n, err := parseNode(b, to)
		if err != nil {
			t.Fatal(err)
		}
		le.PutUint64(b[8:], to)
		for i := 0; i < n.nr; i++ {
			v := n.value(i)
			switch {
			case n.internal:
				le.PutUint64(v, relocate(le.Uint64(v), top))
			case top:
				le.PutUint64(v, relocate(le.Uint64(v), false))
			}
		}
		reseal(img, to, kindNode)
		return to
	}
	sb := src.Superblock()
	details := relocate(sb.DeviceDetailsRoot, false)
	mapping := relocate(sb.DataMappingRoot, true)

	held := maxLoc + 1
	copy(img[held*BlockSize:], snap[:BlockSize])
	hb := img[held*BlockSize : (held+1)*BlockSize]
	le.PutUint64(hb[8:], held)
	clear(hb[sbDataSpaceMap:sbDataMappingRoot]) // both space map roots
	le.PutUint64(hb[sbDataMappingRoot:], mapping)
	le.PutUint64(hb[sbDeviceDetailsRoot:], details)
	reseal(img, held, kindSuperblock)

	le.PutUint64(img[sbHeldRoot:], held)
	reseal(img, 0, kindSuperblock)
	return img, held
}

func TestSnapshot(t *testing.T) {
	img, held := withSnapshot(t, loadImage(t, "snapshots"), loadImage(t, "basic"), 10000)
	m := openImage(t, img)
	if got := m.Superblock().MetadataSnap; got != held {
		t.Fatalf("Superblock().MetadataSnap = %d, want %d", got, held)
	}

	// The live view is unchanged.
	live, err := m.Dump()
	if err != nil {
		t.Fatalf("Dump() = %v", err)
	}
	if diffs := DiffDumps(loadDump(t, "snapshots"), live); diffs != nil {
		t.Errorf("live Dump() differs:\n%s", joinLines(diffs))
	}

	for _, open := range []struct {
		name string
		fn   func() (*Metadata, error)
	}{
		{"Snapshot", m.Snapshot},
		{"OpenSnapshot", func() (*Metadata, error) { return OpenSnapshot(bytes.NewReader(img), int64(len(img))) }},
	} {
		t.Run(open.name, func(t *testing.T) {
			s, err := open.fn()
			if err != nil {
				t.Fatalf("%s() = %v", open.name, err)
			}
			if !s.IsSnapshot() || s.Superblock().Location != held {
				t.Errorf("IsSnapshot(), Location = %t, %d, want true, %d", s.IsSnapshot(), s.Superblock().Location, held)
			}
			want := loadDump(t, "basic")
			want.NrDataBlocks = 0 // the snapshot's space map roots are wiped
			got, err := s.Dump()
			if err != nil {
				t.Fatalf("snapshot Dump() = %v", err)
			}
			if diffs := DiffDumps(want, got); diffs != nil {
				t.Errorf("snapshot Dump() differs:\n%s", joinLines(diffs))
			}
			u, err := s.Usage()
			if err != nil {
				t.Fatalf("snapshot Usage() = %v", err)
			}
			for i, w := range loadThinLs(t, "basic") {
				if u[i].Details.ID != w.dev || u[i].ExclusiveBlocks != w.exclusive || u[i].SharedBlocks != w.shared {
					t.Errorf("snapshot Usage()[%d] = %+v, want thin_ls %+v", i, u[i], w)
				}
			}
			if _, err := s.DataSpaceMap(); !errors.Is(err, ErrNoSpaceMap) {
				t.Errorf("snapshot DataSpaceMap() = %v, want ErrNoSpaceMap", err)
			}
			if _, err := s.MetadataSpaceMap(); !errors.Is(err, ErrNoSpaceMap) {
				t.Errorf("snapshot MetadataSpaceMap() = %v, want ErrNoSpaceMap", err)
			}
			if err := s.FreeDataRuns(func(uint64, uint64) error { return nil }); !errors.Is(err, ErrNoSpaceMap) {
				t.Errorf("snapshot FreeDataRuns() = %v, want ErrNoSpaceMap", err)
			}
			if _, err := s.Snapshot(); !errors.Is(err, ErrNoMetadataSnap) {
				t.Errorf("snapshot Snapshot() = %v, want ErrNoMetadataSnap", err)
			}
			sum, err := s.Summary()
			if err != nil {
				t.Fatalf("snapshot Summary() = %v", err)
			}
			if !sum.Snapshot || sum.DataRefCounts != nil {
				t.Errorf("snapshot Summary() Snapshot, DataRefCounts = %t, %v, want true, nil", sum.Snapshot, sum.DataRefCounts)
			}
		})
	}

	// thin_dump -m reads the constructed snapshot the same way, when the
	// tools are installed.
	if _, err := exec.LookPath("thin_dump"); err != nil {
		t.Skip("thin_dump not installed; skipping the cross-check")
	}
	path := filepath.Join(t.TempDir(), "meta")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("thin_dump", "-m", path).Output()
	if err != nil {
		t.Fatalf("thin_dump -m: %v", err)
	}
	want, err := ParseDumpXML(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Dump()
	if err != nil {
		t.Fatal(err)
	}
	if diffs := DiffDumps(want, got); diffs != nil {
		t.Errorf("snapshot Dump() differs from thin_dump -m:\n%s", joinLines(diffs))
	}
}

func TestNoSnapshot(t *testing.T) {
	img := loadImage(t, "basic")
	if _, err := openImage(t, img).Snapshot(); !errors.Is(err, ErrNoMetadataSnap) {
		t.Errorf("Snapshot() = %v, want ErrNoMetadataSnap", err)
	}
	if _, err := OpenSnapshot(bytes.NewReader(img), int64(len(img))); !errors.Is(err, ErrNoMetadataSnap) {
		t.Errorf("OpenSnapshot() = %v, want ErrNoMetadataSnap", err)
	}
}

// TestUnmappedDataRuns checks that the free runs derived from the mappings
// alone (what a metadata snapshot offers) are the data space map's.
func TestUnmappedDataRuns(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			m := openImage(t, loadImage(t, name))
			var fromSpaceMap, fromMappings [][2]uint64
			if err := m.FreeDataRuns(func(start, length uint64) error {
				fromSpaceMap = append(fromSpaceMap, [2]uint64{start, length})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := m.UnmappedDataRuns(m.DataBlockCount(), func(start, length uint64) error {
				fromMappings = append(fromMappings, [2]uint64{start, length})
				return nil
			}); err != nil {
				t.Fatalf("UnmappedDataRuns() = %v", err)
			}
			if !slices.Equal(fromMappings, fromSpaceMap) {
				t.Errorf("UnmappedDataRuns() = %v, want the space map's free runs %v", fromMappings, fromSpaceMap)
			}
			// A stop asked for by fn ends the walk with its error.
			stop := errors.New("stop")
			if err := m.UnmappedDataRuns(m.DataBlockCount(), func(uint64, uint64) error { return stop }); len(fromSpaceMap) > 0 && !errors.Is(err, stop) {
				t.Errorf("UnmappedDataRuns(stopping fn) = %v, want %v", err, stop)
			}
		})
	}
	for _, nr := range []uint64{0, 1, 63, 64, 65, 200} {
		m := openImage(t, loadImage(t, "empty"))
		var got [][2]uint64
		if err := m.UnmappedDataRuns(nr, func(start, length uint64) error {
			got = append(got, [2]uint64{start, length})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := [][2]uint64{{0, nr}}
		if nr == 0 {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("empty pool: UnmappedDataRuns(%d) = %v, want %v", nr, got, want)
		}
	}
}
