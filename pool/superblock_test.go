package pool

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

func TestHasThinPoolMagic(t *testing.T) {
	b := make([]byte, 4096)
	if hasThinPoolMagic(b) {
		t.Errorf("hasThinPoolMagic(zeros) = true")
	}
	binary.LittleEndian.PutUint64(b[32:], 27022010)
	if !hasThinPoolMagic(b) {
		t.Errorf("hasThinPoolMagic(magic) = false")
	}
	if hasThinPoolMagic(b[:39]) {
		t.Errorf("hasThinPoolMagic(short) = true")
	}
	if _, ok := metadataBlockSectors(b); ok {
		t.Errorf("metadataBlockSectors(bad checksum) ok, want not")
	}
}

func FuzzHasThinPoolMagic(f *testing.F) {
	b := make([]byte, 512)
	binary.LittleEndian.PutUint64(b[32:], 27022010)
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		hasThinPoolMagic(b)
		metadataBlockSectors(b)
	})
}

func TestZeroAndReadMetadataHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta")
	b := make([]byte, 8192)
	for i := range b {
		b[i] = 0xff
	}
	binary.LittleEndian.PutUint64(b[32:], 27022010)
	os.WriteFile(path, b, 0o600)
	head, err := readMetadataHeader(path)
	if err != nil || !hasThinPoolMagic(head) {
		t.Fatalf("readMetadataHeader = %v, magic %v", err, hasThinPoolMagic(head))
	}
	if err := zeroMetadataHeader(path); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	for i, c := range got[:4096] {
		if c != 0 {
			t.Fatalf("byte %d = %#x after zeroMetadataHeader, want 0", i, c)
		}
	}
	if got[4096] != 0xff || len(got) != 8192 {
		t.Errorf("zeroMetadataHeader touched more than the first block")
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("x"), 0o600)
	if head, err := readMetadataHeader(short); err != nil || len(head) != 4096 {
		t.Errorf("readMetadataHeader(short file) = %d bytes, %v", len(head), err)
	}
}

func TestTables(t *testing.T) {
	pt := poolTarget(209715200, dmctl.MakeDev(7, 1), dmctl.MakeDev(7, 0), 128, 32768)
	if got, want := pt.String(), "0 209715200 thin-pool 7:1 7:0 128 32768 1 skip_block_zeroing"; got != want {
		t.Errorf("poolTarget = %q, want %q", got, want)
	}
	tt := thinTarget(20971520, dmctl.MakeDev(253, 0), 1)
	if got, want := tt.String(), "0 20971520 thin 253:0 1"; got != want {
		t.Errorf("thinTarget = %q, want %q", got, want)
	}
	for got, want := range map[string]string{
		msgCreateThin(1):          "create_thin 1",
		msgCreateSnap(5, 1):       "create_snap 5 1",
		msgDelete(16777215):       "delete 16777215",
		msgSetTransactionID(3, 4): "set_transaction_id 3 4",
	} {
		if got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	}
}
