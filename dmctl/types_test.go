package dmctl

import (
	"strings"
	"testing"
)

func TestDevRoundTrip(t *testing.T) {
	tests := []struct {
		major, minor uint32
		str          string
	}{
		{0, 0, "0:0"},
		{7, 0, "7:0"},
		{253, 0, "253:0"},
		{253, 255, "253:255"},
		{253, 256, "253:256"},
		{253, 1000, "253:1000"},
		{259, 70000, "259:70000"},
		{4095, 1<<20 - 1, "4095:1048575"},
		{4096, 0, "4096:0"},
		{1<<32 - 1, 1<<32 - 1, "4294967295:4294967295"},
	}
	for _, tc := range tests {
		d := MakeDev(tc.major, tc.minor)
		if tc.major < 4096 && tc.minor < 1<<20 {
			// The kernel's own encoding, computed independently.
			want := Dev(tc.minor&0xff | tc.major<<8 | (tc.minor&^0xff)<<12)
			if d != want {
				t.Errorf("MakeDev(%d, %d) = %#x, want %#x", tc.major, tc.minor, uint64(d), uint64(want))
			}
		}
		if d.Major() != tc.major || d.Minor() != tc.minor {
			t.Errorf("MakeDev(%d, %d) = %#x: Major, Minor = %d, %d", tc.major, tc.minor, uint64(d), d.Major(), d.Minor())
		}
		if got := d.String(); got != tc.str {
			t.Errorf("MakeDev(%d, %d).String() = %q, want %q", tc.major, tc.minor, got, tc.str)
		}
		p, err := ParseDev(tc.str)
		if err != nil || p != d {
			t.Errorf("ParseDev(%q) = %#x, %v; want %#x", tc.str, uint64(p), err, uint64(d))
		}
	}
	// Known values: glibc makedev(253, 300) and makedev(4096, 1).
	if got := MakeDev(253, 300); got != 0x10fd2c {
		t.Errorf("MakeDev(253, 300) = %#x, want 0x10fd2c", uint64(got))
	}
	if got := MakeDev(4096, 1); got != 0x100000000001 {
		t.Errorf("MakeDev(4096, 1) = %#x, want 0x100000000001", uint64(got))
	}
}

func TestParseDevErrors(t *testing.T) {
	for _, s := range []string{"", "253", "253:", ":0", "a:b", "253:-1", "-1:0", "253:0:1", " 253:0", "4294967296:0", "0:4294967296", "0x10:0"} {
		if d, err := ParseDev(s); err == nil {
			t.Errorf("ParseDev(%q) = %v, nil; want an error", s, d)
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	v := Version{4, 47, 0}
	tests := []struct {
		maj, min, patch uint32
		want            bool
	}{
		{4, 47, 0, true},
		{4, 46, 9, true},
		{4, 0, 0, true},
		{3, 99, 99, true},
		{4, 47, 1, false},
		{4, 48, 0, false},
		{5, 0, 0, false},
		{0, 0, 0, true},
	}
	for _, tc := range tests {
		if got := v.AtLeast(tc.maj, tc.min, tc.patch); got != tc.want {
			t.Errorf("%v.AtLeast(%d, %d, %d) = %v, want %v", v, tc.maj, tc.min, tc.patch, got, tc.want)
		}
	}
	if got := (Version{1, 23, 0}).String(); got != "1.23.0" {
		t.Errorf("Version{1, 23, 0}.String() = %q, want 1.23.0", got)
	}
}

func TestTargetString(t *testing.T) {
	tests := []struct {
		t    Target
		want string
	}{
		{Target{0, 2048, "linear", "7:0 0"}, "0 2048 linear 7:0 0"},
		{Target{2048, 8, "zero", ""}, "2048 8 zero"},
		{Target{0, 1<<64 - 1, "error", ""}, "0 18446744073709551615 error"},
	}
	for _, tc := range tests {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestDeviceInfoFlags(t *testing.T) {
	i := DeviceInfo{Flags: FlagReadOnly | FlagSuspended | FlagActivePresent | FlagInactivePresent | FlagDeferredRemove}
	if !i.ReadOnly() || !i.Suspended() || !i.LiveTable() || !i.InactiveTable() || !i.DeferredRemove() {
		t.Errorf("DeviceInfo{all flags}: ReadOnly, Suspended, LiveTable, InactiveTable, DeferredRemove = %v %v %v %v %v, want all true",
			i.ReadOnly(), i.Suspended(), i.LiveTable(), i.InactiveTable(), i.DeferredRemove())
	}
	var z DeviceInfo
	if z.ReadOnly() || z.Suspended() || z.LiveTable() || z.InactiveTable() || z.DeferredRemove() {
		t.Errorf("DeviceInfo{}: some flag reported set")
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		line string
		want Target
	}{
		{"0 2048 linear 7:0 0", Target{0, 2048, "linear", "7:0 0"}},
		{"  0\t2048   zero  ", Target{0, 2048, "zero", ""}},
		{"0 8 thin-pool 7:1 7:0 128 0 1  skip_block_zeroing", Target{0, 8, "thin-pool", "7:1 7:0 128 0 1  skip_block_zeroing"}},
		{"10 1 error", Target{10, 1, "error", ""}},
		{"0 1 abcdefghijklmno x", Target{0, 1, "abcdefghijklmno", "x"}},
	}
	for _, tc := range tests {
		got, err := ParseTarget(tc.line)
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	for _, line := range []string{"", "0 8", "x 8 zero", "0 x zero", "0 0 zero", "-1 8 zero", "0 8 abcdefghijklmnop"} {
		if got, err := ParseTarget(line); err == nil {
			t.Errorf("ParseTarget(%q) = %+v, nil; want an error", line, got)
		}
	}
}

func TestParseTable(t *testing.T) {
	text := "# a comment\n0 2048 linear 7:0 0\n\n2048 1024 zero\n   # indented comment\n3072 8 error\n"
	want := []Target{{0, 2048, "linear", "7:0 0"}, {2048, 1024, "zero", ""}, {3072, 8, "error", ""}}
	got, err := ParseTable(strings.NewReader(text))
	if err != nil || len(got) != len(want) {
		t.Fatalf("ParseTable(%q) = %+v, %v; want %+v", text, got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ParseTable(%q)[%d] = %+v, want %+v", text, i, got[i], want[i])
		}
	}
	bad := []struct {
		text, want string
	}{
		{"", "empty table"},
		{"# only a comment\n", "empty table"},
		{"8 8 zero\n", "first target starts at sector 8"},
		{"0 8 zero\n9 8 zero\n", "line 2"},
		{"0 8 zero\n4 8 zero\n", "want 8"},
		{"0 8\n", "line 1"},
	}
	for _, tc := range bad {
		if got, err := ParseTable(strings.NewReader(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTable(%q) = %+v, %v; want error containing %q", tc.text, got, err, tc.want)
		}
	}
}
