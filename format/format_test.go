package format

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

func TestParseKind(t *testing.T) {
	tests := []struct {
		in      string
		want    Kind
		wantErr bool
	}{
		{"", Table, false},
		{"table", Table, false},
		{"json", JSON, false},
		{" JSON ", JSON, false},
		{"dmsetup", Dmsetup, false},
		{"yaml", "", true},
		{"tab", "", true},
	}
	for _, tc := range tests {
		got, err := ParseKind(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseKind(%q) = %q, %v, want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestDmsetupForms pins each dmsetup form with literal text written from
// dmsetup.c and libdm-report.c, independently of the goldens.
func TestDmsetupForms(t *testing.T) {
	pool := poolInfo()
	one := InfoRecord{DeviceInfo: pool, ReadAhead: 256}
	short := InfoRecord{DeviceInfo: dmctl.DeviceInfo{Name: "a", Dev: dmctl.MakeDev(253, 0), Flags: live}}
	zero := DeviceTargets{Name: "z", Info: dmctl.DeviceInfo{Dev: dmctl.MakeDev(253, 12), Flags: live},
		Targets: []dmctl.Target{{Start: 0, Length: 8, Type: "zero"}}}
	none := DeviceTargets{Name: "empty", Info: dmctl.DeviceInfo{Dev: dmctl.MakeDev(253, 6)}}
	tests := []struct {
		name   string
		render func(io.Writer) error
		want   string
	}{
		{"version", func(w io.Writer) error {
			return Version(w, Dmsetup, VersionInfo{Tool: "dmctl 0.1.0", Driver: dmctl.Version{4, 48, 0}})
		}, "Library version:   dmctl 0.1.0\nDriver version:    4.48.0\n"},
		{"targets", func(w io.Writer) error {
			return Targets(w, Dmsetup, []dmctl.TargetVersion{{Name: "thin-pool", Version: dmctl.Version{1, 22, 0}}})
		}, "thin-pool        v1.22.0\n"},
		{"ls", func(w io.Writer) error {
			return List(w, Dmsetup, []dmctl.NameEntry{{Name: "pool", Dev: dmctl.MakeDev(253, 0)}}, ListStyle{})
		}, "pool\t(253:0)\n"},
		{"ls --target", func(w io.Writer) error {
			return List(w, Dmsetup, []dmctl.NameEntry{{Name: "pool", Dev: dmctl.MakeDev(253, 0)}}, ListStyle{Target: "thin-pool"})
		}, "pool\t(253, 0)\n"},
		{"ls -o blkdevname", func(w io.Writer) error {
			return List(w, Dmsetup, []dmctl.NameEntry{{Name: "pool", Dev: dmctl.MakeDev(253, 3)}}, ListStyle{Names: BlkDevName})
		}, "pool\t(dm-3)\n"},
		{"ls no devices", func(w io.Writer) error { return List(w, Dmsetup, nil, ListStyle{}) }, "No devices found\n"},
		{"info", func(w io.Writer) error { return Info(w, Dmsetup, []InfoRecord{one}) },
			"Name:              docker-8:1-1048612-pool\nState:             ACTIVE\nRead Ahead:        256\n" +
				"Tables present:    LIVE\nOpen count:        1\nEvent number:      0\nMajor, minor:      253, 0\n" +
				"Number of targets: 1\n\n"},
		{"info -c", func(w io.Writer) error { return InfoColumns(w, Dmsetup, []InfoRecord{short}) },
			"Name             Maj Min Stat Open Targ Event  UUID" + strings.Repeat(" ", 28) + "\n" +
				"a                253   0 L--w    0    0      0 " + strings.Repeat(" ", 32) + "\n"},
		{"info -c no devices", func(w io.Writer) error { return InfoColumns(w, Dmsetup, nil) }, "No devices found\n"},
		{"table one device", func(w io.Writer) error { return Tables(w, Dmsetup, []DeviceTargets{zero}, TargetsOptions{}) },
			"0 8 zero \n"},
		{"table all devices", func(w io.Writer) error {
			return Tables(w, Dmsetup, []DeviceTargets{none, zero}, TargetsOptions{WithNames: true})
		}, "empty: \nz: 0 8 zero \n"},
		{"table no table", func(w io.Writer) error { return Tables(w, Dmsetup, []DeviceTargets{none}, TargetsOptions{}) }, "\n"},
		{"table --target", func(w io.Writer) error {
			return Tables(w, Dmsetup, []DeviceTargets{none, zero}, TargetsOptions{WithNames: true, Target: "linear"})
		}, ""},
		{"table --concise", func(w io.Writer) error {
			return Tables(w, Dmsetup, []DeviceTargets{none, zero}, TargetsOptions{Concise: true})
		}, "empty,,6,rw;z,,12,rw,0 8 zero \n"},
		{"status no devices", func(w io.Writer) error { return Status(w, Dmsetup, nil, TargetsOptions{WithNames: true}) },
			"No devices found\n"},
		{"deps", func(w io.Writer) error {
			return Deps(w, Dmsetup, []DeviceDeps{{Name: "pool", Deps: []dmctl.Dev{dmctl.MakeDev(7, 1), dmctl.MakeDev(7, 0)}}}, TargetsOptions{})
		}, "2 dependencies\t: (7, 1) (7, 0)\n"},
		{"deps all devices", func(w io.Writer) error {
			return Deps(w, Dmsetup, []DeviceDeps{{Name: "e"}}, TargetsOptions{WithNames: true})
		}, "e: 0 dependencies\t:\n"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		if err := tc.render(&buf); err != nil {
			t.Errorf("%s: render error %v, want nil", tc.name, err)
			continue
		}
		if got := buf.String(); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// renderers calls every renderer with k.
func renderers(w io.Writer, k Kind) []error {
	recs := infoRecords()
	return []error{
		Version(w, k, VersionInfo{}),
		Targets(w, k, targetVersions()),
		List(w, k, names(), ListStyle{}),
		Info(w, k, recs),
		InfoColumns(w, k, recs),
		Status(w, k, statuses(), TargetsOptions{}),
		Tables(w, k, tables(), TargetsOptions{}),
		Deps(w, k, deps(), TargetsOptions{}),
		Tree(w, k, tree()),
		KeyValues(w, k, "t", dockerInfo()),
		Rows(w, k, []string{"A"}, [][]string{{"a"}}, nil),
	}
}

func TestUnknownKind(t *testing.T) {
	var buf bytes.Buffer
	for i, err := range renderers(&buf, Kind("yaml")) {
		if err == nil || !strings.Contains(err.Error(), `"yaml"`) {
			t.Errorf("renderer %d(yaml) = %v, want an error naming the format", i, err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("renderers(yaml) wrote %q, want nothing", buf.String())
	}
}

func TestEmptyKindIsTable(t *testing.T) {
	var def, table bytes.Buffer
	renderers(&def, "")
	renderers(&table, Table)
	if def.String() != table.String() {
		t.Errorf("renderers(\"\") = %q, want the Table output %q", def.String(), table.String())
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriteError(t *testing.T) {
	sentinel := errors.New("disk full")
	for _, k := range []Kind{Table, JSON, Dmsetup} {
		for i, err := range renderers(failWriter{sentinel}, k) {
			if !errors.Is(err, sentinel) {
				t.Errorf("renderer %d(%s) to a failing writer = %v, want it to wrap %v", i, k, err, sentinel)
			}
		}
	}
}

func TestSnakeCase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Pool Name", "pool_name"},
		{"Data Space Used", "data_space_used"},
		{"Thin Pool Minimum Free Space", "thin_pool_minimum_free_space"},
		{"  Data loop file ", "data_loop_file"},
		{"MAJ:MIN", "maj_min"},
		{"Use%", "use"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := snakeCase(tc.in); got != tc.want {
			t.Errorf("snakeCase(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTrimLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a   \nb\n", "a\nb\n"},
		{"   \n", "\n"},
		{"no newline  ", "no newline"},
		{"  lead  \n", "  lead\n"},
	}
	for _, tc := range tests {
		if got := trimLines(bytes.NewBufferString(tc.in)).String(); got != tc.want {
			t.Errorf("trimLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
