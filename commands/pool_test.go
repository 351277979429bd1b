package commands

import (
	"slices"
	"testing"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{"10%", 10, false},
		{"0", 0, false},
		{" 99% ", 99, false},
		{"100%", 0, true},
		{"-1", 0, true},
		{"ten", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := parsePercent(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parsePercent(%q) = %d, %v, want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestSnapshotTree checks the lineage: base on top, each device under its
// origin, a device whose origin is gone at the top.
func TestSnapshotTree(t *testing.T) {
	devs := []pool.DeviceState{
		{ID: "base"},
		{ID: "c1", Origin: "img"},
		{ID: "c2", Origin: "img"},
		{ID: "img", Origin: "base"},
		{ID: "orphan", Origin: "gone"},
		{ID: "self", Origin: "self"},
	}
	got := snapshotTree(devs)
	var names func(ns []format.TreeNode, depth int) []string
	names = func(ns []format.TreeNode, depth int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, string(rune('0'+depth))+n.Name)
			out = append(out, names(n.Children, depth+1)...)
		}
		return out
	}
	want := []string{"0base", "1img", "2c1", "2c2", "0orphan", "0self"}
	if g := names(got, 0); !slices.Equal(g, want) {
		t.Errorf("snapshotTree(%v) = %q, want %q", devs, g, want)
	}
}
