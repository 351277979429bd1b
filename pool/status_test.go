package pool

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

func TestParsePoolStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want PoolStatus
	}{
		{
			name: "current kernel, fresh docker pool",
			in:   "0 141/524288 180/1638400 - rw discard_passdown queue_if_no_space - 1024 ",
			want: PoolStatus{UsedMetaBlocks: 141, TotalMetaBlocks: 524288, UsedDataBlocks: 180, TotalDataBlocks: 1638400,
				Mode: "rw", DiscardPassdown: "discard_passdown", MetadataLowWatermark: 1024},
		},
		{
			name: "held metadata root",
			in:   "7 300/4096 10/100 4088 rw no_discard_passdown queue_if_no_space - 1024 ",
			want: PoolStatus{TransactionID: 7, UsedMetaBlocks: 300, TotalMetaBlocks: 4096, UsedDataBlocks: 10, TotalDataBlocks: 100,
				HeldMetadataRoot: 4088, HasHeldRoot: true, Mode: "rw", DiscardPassdown: "no_discard_passdown", MetadataLowWatermark: 1024},
		},
		{
			name: "full pool, error_if_no_space",
			in:   "12 512/4096 100/100 - out_of_data_space ignore_discard error_if_no_space - 1024 ",
			want: PoolStatus{TransactionID: 12, UsedMetaBlocks: 512, TotalMetaBlocks: 4096, UsedDataBlocks: 100, TotalDataBlocks: 100,
				Mode: "out_of_data_space", DiscardPassdown: "ignore_discard", ErrorIfNoSpace: true, MetadataLowWatermark: 1024},
		},
		{
			name: "read-only, needs check",
			in:   "5 118/4096 200/200 - ro discard_passdown queue_if_no_space needs_check 1024 ",
			want: PoolStatus{TransactionID: 5, UsedMetaBlocks: 118, TotalMetaBlocks: 4096, UsedDataBlocks: 200, TotalDataBlocks: 200,
				Mode: "ro", DiscardPassdown: "discard_passdown", NeedsCheck: true, MetadataLowWatermark: 1024},
		},
		{
			name: "kernel 4.x without low watermark",
			in:   "1 280/4161600 30/4096000 - rw discard_passdown queue_if_no_space - ",
			want: PoolStatus{TransactionID: 1, UsedMetaBlocks: 280, TotalMetaBlocks: 4161600, UsedDataBlocks: 30, TotalDataBlocks: 4096000,
				Mode: "rw", DiscardPassdown: "discard_passdown"},
		},
		{
			name: "kernel 3.14 without needs_check",
			in:   "1 280/4161600 30/4096000 - out_of_data_space no_discard_passdown error_if_no_space ",
			want: PoolStatus{TransactionID: 1, UsedMetaBlocks: 280, TotalMetaBlocks: 4161600, UsedDataBlocks: 30, TotalDataBlocks: 4096000,
				Mode: "out_of_data_space", DiscardPassdown: "no_discard_passdown", ErrorIfNoSpace: true},
		},
		{
			name: "kernel 3.10 without trailing space",
			in:   "0 10/4161600 0/4096000 - ro discard_passdown",
			want: PoolStatus{UsedMetaBlocks: 10, TotalMetaBlocks: 4161600, TotalDataBlocks: 4096000,
				Mode: "ro", DiscardPassdown: "discard_passdown"},
		},
		{
			name: "kernel 3.2",
			in:   "0 10/4161600 0/4096000 -",
			want: PoolStatus{UsedMetaBlocks: 10, TotalMetaBlocks: 4161600, TotalDataBlocks: 4096000},
		},
		{
			name: "status followed by a newline",
			in:   "0 10/4161600 0/4096000 27\n",
			want: PoolStatus{UsedMetaBlocks: 10, TotalMetaBlocks: 4161600, TotalDataBlocks: 4096000, HeldMetadataRoot: 27, HasHeldRoot: true},
		},
		{name: "fail mode", in: "Fail", want: PoolStatus{Failed: true, Mode: PoolModeFail}},
		{name: "metadata error", in: "Error", want: PoolStatus{Failed: true, Mode: PoolModeError}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePoolStatus(tc.in)
			if err != nil {
				t.Fatalf("ParsePoolStatus(%q) error = %v, want nil", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParsePoolStatus(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParsePoolStatusErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "want 4 to 9 fields, got 0"},
		{"one word", "Failed", "want 4 to 9 fields"},
		{"fail with more", "Fail 1", "want 4 to 9 fields"},
		{"too short", "0 1/2 1/2", "want 4 to 9 fields, got 3"},
		{"too long", "0 1/2 1/2 - rw discard_passdown queue_if_no_space - 1024 x", "want 4 to 9 fields, got 10"},
		{"negative transaction", "-1 1/2 1/2 -", "bad transaction id"},
		{"signed transaction", "+1 1/2 1/2 -", "bad transaction id"},
		{"huge transaction", "18446744073709551616 1/2 1/2 -", "bad transaction id"},
		{"no slash", "0 12 1/2 -", "bad metadata usage"},
		{"two slashes", "0 1/2/3 1/2 -", "bad metadata usage"},
		{"used over total", "0 1/2 3/2 -", "data usage \"3/2\": used exceeds total"},
		{"empty used", "0 /2 1/2 -", "bad metadata usage"},
		{"bad held root", "0 1/2 1/2 x", "bad held metadata root"},
		{"bad mode", "0 1/2 1/2 - rx", "bad pool mode \"rx\""},
		{"fields out of order", "0 1/2 1/2 - discard_passdown rw", "bad pool mode"},
		{"bad discard", "0 1/2 1/2 - rw discard", "bad discard setting"},
		{"bad no-space", "0 1/2 1/2 - rw discard_passdown queue", "bad no-space policy"},
		{"bad needs_check", "0 1/2 1/2 - rw discard_passdown queue_if_no_space check", "bad needs_check flag"},
		{"bad watermark", "0 1/2 1/2 - rw discard_passdown queue_if_no_space - -", "bad metadata low watermark"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePoolStatus(tc.in)
			if err == nil {
				t.Fatalf("ParsePoolStatus(%q) = %+v, want error containing %q", tc.in, got, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParsePoolStatus(%q) error = %q, want it to contain %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestPoolStatusHelpers(t *testing.T) {
	s, err := ParsePoolStatus("3 1024/4096 250/1000 - rw discard_passdown queue_if_no_space - 1024 ")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.FreeDataBlocks(), uint64(750); got != want {
		t.Errorf("FreeDataBlocks() = %d, want %d", got, want)
	}
	if got, want := s.FreeMetaBlocks(), uint64(3072); got != want {
		t.Errorf("FreeMetaBlocks() = %d, want %d", got, want)
	}
	if got, want := s.DataPercent(), 25.0; got != want {
		t.Errorf("DataPercent() = %v, want %v", got, want)
	}
	if got, want := s.MetaPercent(), 25.0; got != want {
		t.Errorf("MetaPercent() = %v, want %v", got, want)
	}
	if used, total := s.DataBytes(65536); used != 250*65536 || total != 1000*65536 {
		t.Errorf("DataBytes(65536) = %d, %d, want %d, %d", used, total, 250*65536, 1000*65536)
	}
	if used, total := s.MetadataBytes(); used != 1024*4096 || total != 4096*4096 {
		t.Errorf("MetadataBytes() = %d, %d, want %d, %d", used, total, 1024*4096, 4096*4096)
	}
	if got, want := s.BlockBytes(1000*128), uint64(65536); got != want {
		t.Errorf("BlockBytes(128000) = %d, want %d", got, want)
	}
	if !s.Writable() {
		t.Errorf("Writable() = false, want true")
	}
	var zero PoolStatus
	if zero.DataPercent() != 0 || zero.MetaPercent() != 0 || zero.BlockBytes(128) != 0 || zero.Writable() {
		t.Errorf("zero PoolStatus helpers = %v, %v, %v, %v, want 0, 0, 0, false",
			zero.DataPercent(), zero.MetaPercent(), zero.BlockBytes(128), zero.Writable())
	}
}

// formatPoolStatus renders s the way the kernel does, with the first n
// fields of the current layout (4 to 9).
func formatPoolStatus(s PoolStatus, n int) string {
	held := "-"
	if s.HasHeldRoot {
		held = strconv.FormatUint(s.HeldMetadataRoot, 10)
	}
	noSpace := "queue_if_no_space"
	if s.ErrorIfNoSpace {
		noSpace = "error_if_no_space"
	}
	check := "-"
	if s.NeedsCheck {
		check = "needs_check"
	}
	f := []string{
		strconv.FormatUint(s.TransactionID, 10),
		strconv.FormatUint(s.UsedMetaBlocks, 10) + "/" + strconv.FormatUint(s.TotalMetaBlocks, 10),
		strconv.FormatUint(s.UsedDataBlocks, 10) + "/" + strconv.FormatUint(s.TotalDataBlocks, 10),
		held, s.Mode, s.DiscardPassdown, noSpace, check,
		strconv.FormatUint(s.MetadataLowWatermark, 10),
	}
	return strings.Join(f[:n], " ") + " "
}

func FuzzParsePoolStatus(f *testing.F) {
	for _, s := range []string{
		"0 141/524288 180/1638400 - rw discard_passdown queue_if_no_space - 1024 ",
		"7 300/4096 10/100 4088 ro no_discard_passdown error_if_no_space needs_check 1024 ",
		"1 280/4161600 30/4096000 - out_of_data_space ignore_discard error_if_no_space ",
		"0 10/4161600 0/4096000 - rw discard_passdown",
		"0 10/4161600 0/4096000 -",
		"Fail", "Error", "", "-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParsePoolStatus(in)
		if err != nil {
			return
		}
		if s.Failed {
			if s != (PoolStatus{Failed: true, Mode: s.Mode}) {
				t.Fatalf("ParsePoolStatus(%q) = %+v, want only Failed and Mode set", in, s)
			}
			return
		}
		if s.UsedDataBlocks > s.TotalDataBlocks || s.UsedMetaBlocks > s.TotalMetaBlocks {
			t.Fatalf("ParsePoolStatus(%q) = %+v, used exceeds total", in, s)
		}
		_ = s.DataPercent() + s.MetaPercent()
		n := len(strings.Fields(in))
		again, err := ParsePoolStatus(formatPoolStatus(s, n))
		if err != nil {
			t.Fatalf("ParsePoolStatus(%q) error = %v after a round trip of %q", formatPoolStatus(s, n), err, in)
		}
		if again != s {
			t.Fatalf("ParsePoolStatus(%q) = %+v, want %+v (round trip of %q)", formatPoolStatus(s, n), again, s, in)
		}
	})
}

func TestParsePoolTable(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want PoolTable
		str  string
	}{
		{
			name: "docker loop pool",
			in:   "7:1 7:0 128 32768 1 skip_block_zeroing ",
			want: PoolTable{MetadataDev: dmctl.MakeDev(7, 1), DataDev: dmctl.MakeDev(7, 0), BlockSectors: 128, LowWater: 32768,
				Features: []string{"skip_block_zeroing"}},
			str: "7:1 7:0 128 32768 1 skip_block_zeroing",
		},
		{
			name: "no features",
			in:   "253:1 253:2 1024 0 0 ",
			want: PoolTable{MetadataDev: dmctl.MakeDev(253, 1), DataDev: dmctl.MakeDev(253, 2), BlockSectors: 1024},
			str:  "253:1 253:2 1024 0 0",
		},
		{
			name: "feature count omitted",
			in:   "253:1 253:2 1024 10",
			want: PoolTable{MetadataDev: dmctl.MakeDev(253, 1), DataDev: dmctl.MakeDev(253, 2), BlockSectors: 1024, LowWater: 10},
			str:  "253:1 253:2 1024 10 0",
		},
		{
			name: "every feature, large minor",
			in:   "259:70000 8:16 2097152 1 5 skip_block_zeroing ignore_discard no_discard_passdown read_only error_if_no_space ",
			want: PoolTable{MetadataDev: dmctl.MakeDev(259, 70000), DataDev: dmctl.MakeDev(8, 16), BlockSectors: 2097152, LowWater: 1,
				Features: []string{"skip_block_zeroing", "ignore_discard", "no_discard_passdown", "read_only", "error_if_no_space"}},
			str: "259:70000 8:16 2097152 1 5 skip_block_zeroing ignore_discard no_discard_passdown read_only error_if_no_space",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePoolTable(tc.in)
			if err != nil {
				t.Fatalf("ParsePoolTable(%q) error = %v, want nil", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParsePoolTable(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.str {
				t.Errorf("ParsePoolTable(%q).String() = %q, want %q", tc.in, s, tc.str)
			}
		})
	}
	tb, _ := ParsePoolTable("7:1 7:0 128 32768 1 skip_block_zeroing")
	if !tb.HasFeature("skip_block_zeroing") || tb.HasFeature("read_only") {
		t.Errorf("HasFeature(skip_block_zeroing), HasFeature(read_only) = %v, %v, want true, false",
			tb.HasFeature("skip_block_zeroing"), tb.HasFeature("read_only"))
	}
}

func TestParsePoolTableErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "want at least 4 fields, got 0"},
		{"short", "7:1 7:0 128", "want at least 4 fields, got 3"},
		{"path instead of dev", "/dev/loop1 7:0 128 32768", "metadata device"},
		{"bad data dev", "7:1 7 128 32768", "data device"},
		{"zero block size", "7:1 7:0 0 32768", "block size is 0"},
		{"bad block size", "7:1 7:0 64k 32768", "bad block size"},
		{"bad low water", "7:1 7:0 128 -1", "bad low water mark"},
		{"bad count", "7:1 7:0 128 1 x", "bad feature count"},
		{"count too small", "7:1 7:0 128 1 0 skip_block_zeroing", "feature count 0, but 1 features follow"},
		{"count too large", "7:1 7:0 128 1 2 skip_block_zeroing", "feature count 2, but 1 features follow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePoolTable(tc.in)
			if err == nil {
				t.Fatalf("ParsePoolTable(%q) = %+v, want error containing %q", tc.in, got, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParsePoolTable(%q) error = %q, want it to contain %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func FuzzParsePoolTable(f *testing.F) {
	for _, s := range []string{
		"7:1 7:0 128 32768 1 skip_block_zeroing ",
		"253:1 253:2 1024 0 0 ",
		"259:70000 8:16 2097152 1 5 skip_block_zeroing ignore_discard no_discard_passdown read_only error_if_no_space",
		"7:1 7:0 128 32768", "", "1:1 1:1 1 1 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tb, err := ParsePoolTable(in)
		if err != nil {
			return
		}
		again, err := ParsePoolTable(tb.String())
		if err != nil {
			t.Fatalf("ParsePoolTable(%q) error = %v after a round trip of %q", tb.String(), err, in)
		}
		if !reflect.DeepEqual(again, tb) {
			t.Fatalf("ParsePoolTable(%q) = %+v, want %+v (round trip of %q)", tb.String(), again, tb, in)
		}
	})
}

func TestParseThinStatus(t *testing.T) {
	tests := []struct {
		in   string
		want ThinStatus
		str  string
	}{
		{"0 -", ThinStatus{}, "0 -"},
		{"0 -\n", ThinStatus{}, "0 -"},
		{"256 1023", ThinStatus{MappedSectors: 256, HighestMappedSector: 1023, HasMapped: true}, "256 1023"},
		{"20971520 20971519", ThinStatus{MappedSectors: 20971520, HighestMappedSector: 20971519, HasMapped: true}, "20971520 20971519"},
		{"Fail", ThinStatus{Failed: true}, "Fail"},
		{"Error", ThinStatus{Failed: true}, "Fail"},
		{"-", ThinStatus{}, "0 -"},
	}
	for _, tc := range tests {
		got, err := ParseThinStatus(tc.in)
		if err != nil {
			t.Errorf("ParseThinStatus(%q) error = %v, want nil", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseThinStatus(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseThinStatus(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
	}
	if got, want := (ThinStatus{MappedSectors: 256}).MappedBytes(), uint64(131072); got != want {
		t.Errorf("MappedBytes() = %d, want %d", got, want)
	}
}

func TestParseThinStatusErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "want 2 fields, got 0"},
		{"12", "want 2 fields, got 1"},
		{"1 2 3", "want 2 fields, got 3"},
		{"- -", "bad mapped sectors"},
		{"x 1", "bad mapped sectors"},
		{"1 x", "bad highest mapped sector"},
		{"1 -1", "bad highest mapped sector"},
	}
	for _, tc := range tests {
		got, err := ParseThinStatus(tc.in)
		if err == nil {
			t.Errorf("ParseThinStatus(%q) = %+v, want error containing %q", tc.in, got, tc.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseThinStatus(%q) error = %q, want it to contain %q", tc.in, err, tc.wantErr)
		}
	}
}

func FuzzParseThinStatus(f *testing.F) {
	for _, s := range []string{"0 -", "256 1023", "Fail", "Error", "-", "", "1 2 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseThinStatus(in)
		if err != nil {
			return
		}
		again, err := ParseThinStatus(s.String())
		if err != nil {
			t.Fatalf("ParseThinStatus(%q) error = %v after a round trip of %q", s.String(), err, in)
		}
		if again != s {
			t.Fatalf("ParseThinStatus(%q) = %+v, want %+v (round trip of %q)", s.String(), again, s, in)
		}
	})
}

func TestParseThinTable(t *testing.T) {
	tests := []struct {
		in   string
		want ThinTable
		str  string
	}{
		{"253:0 1", ThinTable{PoolDev: "253:0", DevID: 1}, "253:0 1"},
		{"/dev/mapper/docker-8:1-123-pool 16777215", ThinTable{PoolDev: "/dev/mapper/docker-8:1-123-pool", DevID: 16777215},
			"/dev/mapper/docker-8:1-123-pool 16777215"},
		{"253:0 7 7:3\n", ThinTable{PoolDev: "253:0", DevID: 7, ExternalOrigin: "7:3"}, "253:0 7 7:3"},
	}
	for _, tc := range tests {
		got, err := ParseThinTable(tc.in)
		if err != nil {
			t.Errorf("ParseThinTable(%q) error = %v, want nil", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseThinTable(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseThinTable(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
	}
	for _, in := range []string{"", "253:0", "253:0 1 2 3", "253:0 x", "253:0 -1", "253:0 16777216"} {
		if got, err := ParseThinTable(in); err == nil {
			t.Errorf("ParseThinTable(%q) = %+v, want error", in, got)
		}
	}
}

func FuzzParseThinTable(f *testing.F) {
	for _, s := range []string{"253:0 1", "253:0 7 7:3", "/dev/mapper/pool 16777215", "", "a b c d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tb, err := ParseThinTable(in)
		if err != nil {
			return
		}
		again, err := ParseThinTable(tb.String())
		if err != nil {
			t.Fatalf("ParseThinTable(%q) error = %v after a round trip of %q", tb.String(), err, in)
		}
		if again != tb {
			t.Fatalf("ParseThinTable(%q) = %+v, want %+v (round trip of %q)", tb.String(), again, tb, in)
		}
	})
}
