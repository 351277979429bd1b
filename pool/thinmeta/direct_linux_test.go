package thinmeta

import "testing"

// TestOpenDeviceUsesDirectIO checks that OpenDevice reads with O_DIRECT on
// a file system that supports it, having found a buffer alignment the
// kernel accepts.
func TestOpenDeviceUsesDirectIO(t *testing.T) {
	f, err := OpenDevice(writeImage(t, loadImage(t, "basic")))
	if err != nil {
		t.Fatalf("OpenDevice() = %v", err)
	}
	defer f.Close()
	if _, err := f.Dump(); err != nil {
		t.Fatalf("Dump() = %v", err)
	}
	d, ok := f.br.r.(*directReader)
	if !ok {
		t.Fatalf("OpenDevice() reads through %T, want *directReader", f.br.r)
	}
	if d.plain {
		t.Skip("the test directory's file system refuses O_DIRECT")
	}
	if d.align < 0 {
		t.Errorf("directReader.align = %d after reads, want an offset", d.align)
	}
}
