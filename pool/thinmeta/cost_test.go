package thinmeta

import (
	"io"
	"sync"
	"testing"
)

// sparseDevice presents an image as the start of a much larger device that
// reads as zeros beyond it, and records every block read.
type sparseDevice struct {
	img  []byte
	size int64

	mu    sync.Mutex
	reads map[int64]int
	total int
}

func (d *sparseDevice) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	d.reads[off/BlockSize]++
	d.total++
	d.mu.Unlock()
	if off >= d.size {
		return 0, io.EOF
	}
	n := copy(p, d.img[min(off, int64(len(d.img))):])
	clear(p[n:])
	return len(p), nil
}

// TestSparseDeviceReadsOnlyReachableBlocks reads everything of a pool on a
// 2 GiB metadata device and checks that only blocks reachable from the
// superblock were read, each a bounded number of times.
func TestSparseDeviceReadsOnlyReachableBlocks(t *testing.T) {
	img := loadImage(t, "snapshots")
	dev := &sparseDevice{img: img, size: 2 << 30, reads: make(map[int64]int)}
	m, err := Open(dev, dev.size)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if _, err := m.Summary(); err != nil {
		t.Fatalf("Summary() = %v", err)
	}
	want := reachable(t, openImage(t, img))
	for b := range dev.reads {
		if !want[uint64(b)] {
			t.Errorf("read block %d, which is not reachable from the superblock", b)
		}
	}
	// Summary walks the mappings three times (dump, two usage passes) and
	// the space map twice; a small cache keeps the rest to a few re-reads.
	if limit := 4 * len(want); dev.total > limit {
		t.Errorf("Summary() made %d reads of %d distinct blocks (%d reachable), want at most %d", dev.total, len(dev.reads), len(want), limit)
	}
	t.Logf("%d reads of %d distinct blocks; %d blocks reachable; device has %d blocks", dev.total, len(dev.reads), len(want), dev.size/BlockSize)
}
