//go:build linux

package pool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStoreDevices reads the device files of a root with a thousand
// thin devices, as every thin-changing command does.
func BenchmarkStoreDevices(b *testing.B) {
	s := NewStore(b.TempDir())
	if err := os.MkdirAll(filepath.Join(s.Root(), metadataDirName), 0o700); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		m := DeviceMeta{ID: fmt.Sprintf("%064x", i), DeviceID: i + 1, Size: 10 << 30, TransactionID: uint64(i + 1),
			Origin: "base", CreatedAt: time.Unix(1700000000, 0).UTC()}
		if err := s.WriteDevice(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		devs, err := s.Devices()
		if err != nil || len(devs) != 1000 {
			b.Fatalf("Devices() = %d devices, %v", len(devs), err)
		}
	}
}
