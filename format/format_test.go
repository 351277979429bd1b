package format

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
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

// TestDmsetupForms pins each dmsetup form with literal text: written from
// dmsetup.c and libdm-report.c, and for info -c captured from dmsetup
// 1.02.185 in the test guest.
func TestDmsetupForms(t *testing.T) {
	one := infoRecords()[2]
	x1 := ReportDevice{InfoRecord: InfoRecord{Device: Device{Name: "x1", Major: 254, Minor: 0}, LiveTable: true, TargetCount: 1}}
	x2 := ReportDevice{InfoRecord: InfoRecord{Device: Device{Name: "x2", UUID: "UU-1", Major: 254, Minor: 1}, LiveTable: true, TargetCount: 1}}
	xs := []ReportDevice{x1, x2}
	zero := TableRecord{Device: Device{Name: "z", Major: 253, Minor: 12}, Targets: []TableTarget{{0, 8, "zero", ""}}}
	none := TableRecord{Device: Device{Name: "empty", Major: 253, Minor: 6}}
	dm := func(w io.Writer) Output { return Output{W: w, Kind: Dmsetup} }
	cols := func(w io.Writer, o TableOptions) Output { return Output{W: w, Kind: Dmsetup, Table: o} }
	tests := []struct {
		name   string
		render func(io.Writer) error
		want   string
	}{
		{"version", func(w io.Writer) error {
			return Version(dm(w), VersionRecord{LibraryVersion: "dmctl 0.1.0", DriverVersion: "4.48.0"})
		}, "Library version:   dmctl 0.1.0\nDriver version:    4.48.0\n"},
		{"targets", func(w io.Writer) error {
			return Targets(dm(w), []TargetRecord{{"thin-pool", "1.22.0"}})
		}, "thin-pool        v1.22.0\n"},
		{"ls", func(w io.Writer) error {
			return List(dm(w), []ListRecord{{Device: Device{Name: "pool", Major: 253}}}, ListStyle{})
		}, "pool\t(253:0)\n"},
		{"ls --target", func(w io.Writer) error {
			return List(dm(w), []ListRecord{{Device: Device{Name: "pool", Major: 253}}}, ListStyle{Target: "thin-pool"})
		}, "pool\t(253, 0)\n"},
		{"ls -o blkdevname", func(w io.Writer) error {
			return List(dm(w), []ListRecord{{Device: Device{Name: "pool", Major: 253, Minor: 3}}}, ListStyle{Names: BlkDevName})
		}, "pool\t(dm-3)\n"},
		{"ls no devices", func(w io.Writer) error { return List(dm(w), nil, ListStyle{}) }, "No devices found\n"},
		{"info", func(w io.Writer) error { return Info(dm(w), []InfoRecord{one}) },
			"Name:              docker-8:1-1048612-pool\nState:             ACTIVE\nRead Ahead:        256\n" +
				"Tables present:    LIVE\nOpen count:        1\nEvent number:      0\nMajor, minor:      253, 0\n" +
				"Number of targets: 1\n\n"},
		{"info -c", func(w io.Writer) error { return InfoColumns(dm(w), xs, false) },
			"Name             Maj Min Stat Open Targ Event  UUID                            \n" +
				"x1               254   0 L--w    0    1      0                                 \n" +
				"x2               254   1 L--w    0    1      0 UU-1                            \n"},
		{"info -c --noheadings", func(w io.Writer) error { return InfoColumns(cols(w, TableOptions{NoHeadings: true}), xs, false) },
			"x1:254:0:L--w:0:1:0:\nx2:254:1:L--w:0:1:0:UU-1\n"},
		{"info -c --separator :", func(w io.Writer) error { return InfoColumns(cols(w, TableOptions{Separator: ":"}), xs, false) },
			"Name:Maj:Min:Stat:Open:Targ:Event:UUID\nx1:254:0:L--w:0:1:0:\nx2:254:1:L--w:0:1:0:UU-1\n"},
		{"info -c -o name,uuid,attr --separator ,", func(w io.Writer) error {
			return InfoColumns(cols(w, TableOptions{Columns: "name,uuid,attr", Separator: ","}), xs, false)
		}, "Name,UUID,Stat\nx1,,L--w\nx2,UU-1,L--w\n"},
		{"info -c -o +devno", func(w io.Writer) error { return InfoColumns(cols(w, TableOptions{Columns: "+devno"}), xs, false) },
			"Name             Maj Min Stat Open Targ Event  UUID                             DevNo\n" +
				"x1               254   0 L--w    0    1      0                                  254:0\n" +
				"x2               254   1 L--w    0    1      0 UU-1                             254:1\n"},
		{"info -c -o ,name,,attr", func(w io.Writer) error { return InfoColumns(cols(w, TableOptions{Columns: ",name,,attr"}), xs, false) },
			"Name             Stat\nx1               L--w\nx2               L--w\n"},
		{"info -c -o NAME,Uuid,dev_no,MAJOR", func(w io.Writer) error {
			return InfoColumns(cols(w, TableOptions{Columns: "NAME,Uuid,dev_no,MAJOR"}), xs, false)
		}, "Name             UUID                             DevNo Maj\n" +
			"x1                                                254:0 254\n" +
			"x2               UU-1                             254:1 254\n"},
		{"info -c --nameprefixes", func(w io.Writer) error { return InfoColumns(dm(w), xs, true) },
			"Name Maj Min Stat Open Targ Event UUID\n" +
				"DM_NAME='x1' DM_MAJOR='254' DM_MINOR='0' DM_ATTR='L--w' DM_OPEN='0' DM_SEGMENTS='1' DM_EVENTS='0' DM_UUID=''\n" +
				"DM_NAME='x2' DM_MAJOR='254' DM_MINOR='1' DM_ATTR='L--w' DM_OPEN='0' DM_SEGMENTS='1' DM_EVENTS='0' DM_UUID='UU-1'\n"},
		{"info -c --noheadings --nameprefixes", func(w io.Writer) error {
			return InfoColumns(cols(w, TableOptions{NoHeadings: true}), xs, true)
		}, "DM_NAME='x1':DM_MAJOR='254':DM_MINOR='0':DM_ATTR='L--w':DM_OPEN='0':DM_SEGMENTS='1':DM_EVENTS='0':DM_UUID=''\n" +
			"DM_NAME='x2':DM_MAJOR='254':DM_MINOR='1':DM_ATTR='L--w':DM_OPEN='0':DM_SEGMENTS='1':DM_EVENTS='0':DM_UUID='UU-1'\n"},
		{"info -c no devices", func(w io.Writer) error { return InfoColumns(dm(w), nil, false) }, "No devices found\n"},
		{"table one device", func(w io.Writer) error { return Tables(dm(w), []TableRecord{zero}, TargetsOptions{}) },
			"0 8 zero \n"},
		{"table all devices", func(w io.Writer) error {
			return Tables(dm(w), []TableRecord{none, zero}, TargetsOptions{WithNames: true})
		}, "empty: \nz: 0 8 zero \n"},
		{"table no table", func(w io.Writer) error { return Tables(dm(w), []TableRecord{none}, TargetsOptions{}) }, "\n"},
		{"table --target", func(w io.Writer) error {
			return Tables(dm(w), []TableRecord{none, zero}, TargetsOptions{WithNames: true, Target: "linear"})
		}, ""},
		{"table --concise", func(w io.Writer) error {
			return Tables(dm(w), []TableRecord{none, zero}, TargetsOptions{Concise: true})
		}, "empty,,6,rw;z,,12,rw,0 8 zero \n"},
		{"status no devices", func(w io.Writer) error { return Status(dm(w), nil, TargetsOptions{WithNames: true}) },
			"No devices found\n"},
		{"deps", func(w io.Writer) error {
			return Deps(dm(w), []DepsRecord{{Device: Device{Name: "pool"}, Dependencies: []Dependency{{7, 1, ""}, {7, 0, ""}}}}, TargetsOptions{})
		}, "2 dependencies\t: (7, 1) (7, 0)\n"},
		{"deps all devices", func(w io.Writer) error {
			return Deps(dm(w), []DepsRecord{{Device: Device{Name: "e"}}}, TargetsOptions{WithNames: true})
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

// TestReportFields checks the -o lists info -c takes, as libdm parses
// them.
func TestReportFields(t *testing.T) {
	tests := []struct {
		spec      string
		ok        bool
		deps, use bool
	}{
		{"", true, false, false},
		{"+devno", true, false, false},
		{",name,,attr", true, false, false},
		{"name,", false, false, false},
		{",", false, false, false},
		{"name,frob", false, false, false},
		{"Dev_No,UUID", true, false, false},
		{"name,devnos_used", true, true, false},
		{"names_using_dev", true, false, true},
		{"name_all,info_all", true, false, false},
		{"stats_all", false, false, false},
	}
	for _, tc := range tests {
		deps, use, err := ReportNeeds(tc.spec)
		if (err == nil) != tc.ok || deps != tc.deps || use != tc.use {
			t.Errorf("ReportNeeds(%q) = %v, %v, %v, want deps %v, users %v, ok %v", tc.spec, deps, use, err, tc.deps, tc.use, tc.ok)
		}
	}
}

func TestSplitLVMName(t *testing.T) {
	r := ReportDevice{InfoRecord: InfoRecord{Device: Device{Name: "vg--x-lv--y-tpool", UUID: "LVM-xyz"}}}
	if got, want := r.split(), (splitName{"LVM", "vg-x", "lv-y", "tpool"}); got != want {
		t.Errorf("split(%q) = %+v, want %+v", r.Name, got, want)
	}
	r = ReportDevice{InfoRecord: InfoRecord{Device: Device{Name: "c", UUID: "LVM-abc"}}}
	if got, want := r.split(), (splitName{"LVM", "c", "", ""}); got != want {
		t.Errorf("split(%q) = %+v, want %+v", r.Name, got, want)
	}
	r = ReportDevice{InfoRecord: InfoRecord{Device: Device{Name: "a-b", UUID: "CRYPT"}}}
	if got, want := r.split(), (splitName{}); got != want {
		t.Errorf("split(%q) = %+v, want %+v", r.Name, got, want)
	}
	if got := mangle("a b\\x20c"); got != `a\x20b\x20c` {
		t.Errorf("mangle = %q", got)
	}
	if got := unmangle(`a\x20b`); got != "a b" {
		t.Errorf("unmangle = %q", got)
	}
}

// TestTableOptions checks column selection and layout for scripts.
func TestTableOptions(t *testing.T) {
	recs := names()[:2]
	tests := []struct {
		opts TableOptions
		want string
		err  string
	}{
		{TableOptions{Columns: "name"}, "NAME\nbroken\ndocker-8:1-1048612-base\n", ""},
		{TableOptions{Columns: "Name,maj:min", NoHeadings: true}, "broken                    253:8\ndocker-8:1-1048612-base   253:1\n", ""},
		{TableOptions{Columns: "+event", Separator: ","}, "NAME,MAJ:MIN,UUID,EVENT\nbroken,253:8,,2\ndocker-8:1-1048612-base,253:1,,0\n", ""},
		{TableOptions{Columns: "uuid,name", NoHeadings: true}, "-   broken\n-   docker-8:1-1048612-base\n", ""},
		// A cell holding the separator has it escaped, but in the last
		// column (as blanks are without a separator).
		{TableOptions{Columns: "name,maj:min", NoHeadings: true, Separator: "-"}, "broken-253:8\ndocker\\x2d8:1\\x2d1048612\\x2dbase-253:1\n", ""},
		{TableOptions{Columns: "maj:min,name", NoHeadings: true, Separator: "-"}, "253:8-broken\n253:1-docker-8:1-1048612-base\n", ""},
		{TableOptions{Columns: "name,frob"}, "", `unknown column "frob"`},
		{TableOptions{Columns: ","}, "", "no columns"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		err := List(Output{W: &buf, Kind: Table, Table: tc.opts}, recs, ListStyle{})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("List(%+v) = %v, want error %q", tc.opts, err, tc.err)
			}
			if check := ListTable.CheckColumns(tc.opts.Columns); check == nil {
				t.Errorf("CheckColumns(%q) = nil, want an error", tc.opts.Columns)
			}
			continue
		}
		if err != nil || buf.String() != tc.want {
			t.Errorf("List(%+v) = %q, %v, want %q", tc.opts, buf.String(), err, tc.want)
		}
	}
}

func TestEscapeCell(t *testing.T) {
	tests := []struct {
		in     string
		blanks bool
		sep    string
		want   string
	}{
		{"plain", true, "", "plain"},
		{"/mnt/a dir", true, "", `/mnt/a\x20dir`},
		{"/mnt/a dir", false, "", "/mnt/a dir"},
		{"two\nlines", false, "", `two\x0alines`},
		{"tab\there", true, "", `tab\x09here`},
		{"/a,/b", false, ",", `/a\x2c/b`},
		{"a\tb c", false, "\t", `a\x09b c`},
		{"x | y|z", false, " | ", `x\x20\x7c\x20y|z`},
		{"a,b", false, ":", "a,b"},
	}
	for _, tc := range tests {
		if got := escapeCell(tc.in, tc.blanks, tc.sep); got != tc.want {
			t.Errorf("escapeCell(%q, %v, %q) = %q, want %q", tc.in, tc.blanks, tc.sep, got, tc.want)
		}
	}
}

func TestDockerSize(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{999, "999B"},
		{1000, "1kB"},
		{1024, "1.024kB"},
		{65536, "65.54kB"},
		{524288, "524.3kB"},
		{581632, "581.6kB"},
		{999999, "1000kB"}, // rounding after the unit is chosen, as go-units does
		{1000000, "1MB"},
		{1048576, "1.049MB"},
		{11796480, "11.8MB"},
		{2147483648, "2.147GB"},
		{10737418240, "10.74GB"},
		{107374182400, "107.4GB"},
		{3.42e9, "3.42GB"},
		{5.372e12, "5.372TB"},
		{2.22e15, "2.22PB"},
		{1e28, "1e+04YB"},
	}
	for _, tc := range tests {
		if got := DockerSize(tc.in); got != tc.want {
			t.Errorf("DockerSize(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// renderers calls every renderer with k.
func renderers(w io.Writer, k Kind) []error {
	o := Output{W: w, Kind: k}
	return []error{
		Version(o, VersionRecord{}),
		Targets(o, targetVersions()),
		List(o, names(), ListStyle{}),
		Info(o, infoRecords()),
		InfoColumns(o, reportDevices(), false),
		Status(o, statuses(), TargetsOptions{}),
		Tables(o, tables(), TargetsOptions{}),
		Deps(o, deps(), TargetsOptions{}),
		Tree(o, tree()),
		PoolInfo(o, poolInfoRecord()),
		Pools(o, []PoolRecord{poolRecord()}),
		Pool(o, poolRecord()),
		Extend(o, ExtendRecord{}),
		Snapshots(o, snapshotRecords()),
		Snapshot(o, snapshotRecords()[0]),
		Activation(o, ActivationRecord{DevicePath: "/dev/mapper/x"}),
		Trim(o, trimRecords()[0]),
		Check(o, checkRecords()[1]),
		Message(o, MessageRecord{Reply: "x"}),
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
