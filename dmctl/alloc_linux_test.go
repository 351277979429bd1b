package dmctl

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDataMap checks DataBytes on a sparse file with two written ranges.
func TestDataMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	if err := f.Truncate(16 * mib); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, mib)
	for i := range buf {
		buf[i] = 1
	}
	for _, off := range []int64{2 * mib, 8 * mib, 9 * mib} {
		if _, err := f.WriteAt(buf, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	m, err := OpenDataMap(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n, err := m.DataBytes(0, 2*mib); err == nil && n != 0 {
		t.Skipf("the filesystem of %s reports its holes as data", path)
	}
	tests := []struct{ off, length, want uint64 }{
		{0, 16 * mib, 3 * mib},
		{0, 2 * mib, 0},
		{2 * mib, mib, mib},
		{2*mib + mib/2, mib, mib / 2},
		{8 * mib, 8 * mib, 2 * mib},
		{12 * mib, 4 * mib, 0},
		{20 * mib, mib, 0},
	}
	for _, tc := range tests {
		got, err := m.DataBytes(tc.off, tc.length)
		if err != nil || got != tc.want {
			t.Errorf("DataBytes(%d, %d) = %d, %v, want %d", tc.off, tc.length, got, err, tc.want)
		}
	}
}
