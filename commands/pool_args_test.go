package commands

import (
	"bytes"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"

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

// TestPositional runs a command with flags among its arguments.
func TestPositional(t *testing.T) {
	tests := []struct {
		args     []string
		want     []string
		origin   string
		deferred bool
		opts     []string
		usage    bool
	}{
		{args: []string{"a"}, want: []string{"a"}},
		{args: []string{"--origin", "o", "a"}, want: []string{"a"}, origin: "o"},
		{args: []string{"a", "--origin", "o"}, want: []string{"a"}, origin: "o"},
		{args: []string{"a", "--origin=o", "--deferred"}, want: []string{"a"}, origin: "o", deferred: true},
		{args: []string{"-d", "--", "--origin"}, want: []string{"--origin"}, deferred: true},
		{args: []string{"a", "--opt", "x=1,y", "--opt", "z"}, want: []string{"a"}, opts: []string{"x=1,y", "z"}},
		{args: []string{"a", "b"}, usage: true},
		{args: []string{}, usage: true},
		{args: []string{"a", "--nosuch"}, usage: true},
		{args: []string{"a", "--origin"}, usage: true},
	}
	for _, tt := range tests {
		var got []string
		var origin string
		var deferred bool
		var opts []string
		app := &cli.App{
			Writer:         &bytes.Buffer{},
			ErrWriter:      &bytes.Buffer{},
			ExitErrHandler: func(*cli.Context, error) {},
			Commands: []*cli.Command{{
				Name: "cmd",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "origin"},
					&cli.BoolFlag{Name: "deferred", Aliases: []string{"d"}},
					multiFlag("opt", "repeatable"),
				},
				Action: func(c *cli.Context) error {
					var err error
					got, err = positional(c, 1, 1, "ID")
					origin, deferred, opts = c.String("origin"), c.Bool("deferred"), multiValues(c, "opt")
					return err
				},
			}},
		}
		err := app.Run(append([]string{"dmctl", "cmd"}, tt.args...))
		_, isUsage := err.(usageError)
		if tt.usage {
			if !isUsage {
				t.Errorf("positional(%q) = %q, %v, want a usage error", tt.args, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) || origin != tt.origin || deferred != tt.deferred ||
			!slices.Equal(opts, tt.opts) {
			t.Errorf("positional(%q) = %q, %v (origin %q, deferred %v, opts %q), want %q (origin %q, deferred %v, opts %q)",
				tt.args, got, err, origin, deferred, opts, tt.want, tt.origin, tt.deferred, tt.opts)
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
