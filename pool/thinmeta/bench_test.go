package thinmeta

import (
	"bytes"
	"testing"
)

// Host benchmarks of the metadata reader over the test fixtures (the
// "snapshots" pool: a 40,000-block origin and snapshots sharing it). make
// bench reports them.

func BenchmarkOpen(b *testing.B) {
	img := loadImage(b, "snapshots")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(bytes.NewReader(img), int64(len(img))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDevices reads the device details tree (what info and check
// need of the metadata).
func BenchmarkDevices(b *testing.B) {
	m := openImage(b, loadImage(b, "snapshots"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Devices(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUsage computes every device's mapped, exclusive and shared
// blocks (snapshot ls, thin_ls -m).
func BenchmarkUsage(b *testing.B) {
	m := openImage(b, loadImage(b, "snapshots"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Usage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFreeDataRuns walks the data space map's free runs (trim).
func BenchmarkFreeDataRuns(b *testing.B) {
	m := openImage(b, loadImage(b, "snapshots"))
	b.ReportAllocs()
	for b.Loop() {
		if err := m.FreeDataRuns(func(start, length uint64) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummary is the pool summary info and check read.
func BenchmarkSummary(b *testing.B) {
	m := openImage(b, loadImage(b, "snapshots"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Summary(); err != nil {
			b.Fatal(err)
		}
	}
}
