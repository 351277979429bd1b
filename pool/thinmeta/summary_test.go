package thinmeta

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func writeImage(t *testing.T, img []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "metadata")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadFile(t *testing.T) {
	for _, name := range fixtures {
		path := writeImage(t, loadImage(t, name))
		for _, read := range []struct {
			name string
			fn   func(string) (*Summary, error)
		}{
			{"ReadFile", ReadFile},
			{"ReadDevice", ReadDevice},
		} {
			t.Run(name+"/"+read.name, func(t *testing.T) {
				s, err := read.fn(path)
				if err != nil {
					t.Fatalf("%s(%s) = %v", read.name, name, err)
				}
				if diffs := DiffDumps(loadDump(t, name), s.Dump); diffs != nil {
					t.Errorf("%s(%s).Dump differs from thin_dump:\n%s", read.name, name, joinLines(diffs))
				}
				want := expectedRefCounts(s.Dump)
				if len(s.DataRefCounts) != len(want) {
					t.Errorf("%s(%s).DataRefCounts has %d blocks, want %d", read.name, name, len(s.DataRefCounts), len(want))
				}
				for b, c := range want {
					if s.DataRefCounts[b] != c {
						t.Errorf("%s(%s).DataRefCounts[%d] = %d, want %d", read.name, name, b, s.DataRefCounts[b], c)
						break
					}
				}
				if wantFree := s.Dump.NrDataBlocks - uint64(len(want)); s.FreeDataBlocks != wantFree {
					t.Errorf("%s(%s).FreeDataBlocks = %d, want %d", read.name, name, s.FreeDataBlocks, wantFree)
				}
				for i, row := range loadThinLs(t, name) {
					u := s.Usage[i]
					if u.Details.ID != row.dev || u.ExclusiveBlocks != row.exclusive || u.SharedBlocks != row.shared {
						t.Errorf("%s(%s).Usage[%d] = %+v, want thin_ls %+v", read.name, name, i, u, row)
					}
				}
				if s.Snapshot || s.Superblock.TransactionID != s.Dump.TransactionID {
					t.Errorf("%s(%s) Snapshot, transaction = %t, %d, want false, %d", read.name, name, s.Snapshot, s.Superblock.TransactionID, s.Dump.TransactionID)
				}
			})
		}
	}
}

func TestReadFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := ReadFile(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadDevice(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDevice(missing) = %v, want fs.ErrNotExist", err)
	}
	zeros := writeImage(t, make([]byte, 4*BlockSize))
	if _, err := ReadFile(zeros); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadFile(zeros) = %v, want ErrCorrupt", err)
	}
}

func TestOpenFileSnapshot(t *testing.T) {
	img, _ := withSnapshot(t, loadImage(t, "snapshots"), loadImage(t, "basic"), 10000)
	f, err := OpenDevice(writeImage(t, img))
	if err != nil {
		t.Fatalf("OpenDevice() = %v", err)
	}
	defer f.Close()
	s, err := f.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	sum, err := s.Summary()
	if err != nil {
		t.Fatalf("Summary() = %v", err)
	}
	want := loadDump(t, "basic")
	want.NrDataBlocks = 0
	if diffs := DiffDumps(want, sum.Dump); diffs != nil {
		t.Errorf("snapshot Summary().Dump differs:\n%s", joinLines(diffs))
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
}
