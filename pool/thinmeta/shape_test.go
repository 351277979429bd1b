package thinmeta

import "testing"

// TestFixtureShape checks that the fixtures exercise what they are meant
// to: multi-level trees, several bitmaps, a ref-count btree.
func TestFixtureShape(t *testing.T) {
	m := openImage(t, loadImage(t, "snapshots"))
	depth := func(root uint64, valueSize int) int {
		t.Helper()
		w := walker{br: m.br, valueSize: valueSize, leafDepth: -1}
		if err := w.visit(root, 0, 0, 0, false, func(uint64, uint64, []byte) error { return nil }); err != nil {
			t.Fatalf("walk tree at %d: %v", root, err)
		}
		return w.leafDepth
	}
	root, err := m.deviceRoot(1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"origin mapping tree leaf depth", depth(root, mappingSize), 2},
		{"data ref-count tree leaf depth", depth(m.sb.DataSpaceMap.RefCountRoot, refCountSize), 1},
		{"data bitmaps", int(m.sb.DataSpaceMap.NrBlocks/EntriesPerBitmap) + 1, 5},
		{"metadata bitmaps", int(m.sb.MetadataSpaceMap.NrBlocks/EntriesPerBitmap) + 1, 2},
	}
	for _, tc := range tests {
		if tc.got < tc.want {
			t.Errorf("%s = %d, want at least %d", tc.name, tc.got, tc.want)
		}
	}
}
