package pool

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"10G", 10 * GiB, true},
		{"10g", 10 * GiB, true},
		{"10GB", 10 * GiB, true},
		{"10gib", 10 * GiB, true},
		{"10GiB", 10 * GiB, true},
		{"10 G", 10 * GiB, true},
		{"64k", 64 * KiB, true},
		{"64K", 64 * KiB, true},
		{"100", 100, true},
		{"100b", 100, true},
		{"100B", 100, true},
		{"1.5M", 3 * MiB / 2, true},
		{"1t", TiB, true},
		{"2p", 2 * PiB, true},
		{"0", 0, true},
		{"10 ", 10, true},
		{"", 0, false},
		{"G", 0, false},
		{"-1G", 0, false},
		{"10X", 0, false},
		{"10ib", 0, false},
		{"10bb", 0, false},
		{"10Gi", 0, false},
		{"10GiBB", 0, false},
		{"1.2.3G", 0, false},
		{".5G", 0, false},
		{"5.G", 0, false},
		{"10  G", 0, false},
		{"9999999999999999999999", 0, false},
		{"9000P", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"10G", "1.5m", "100b", "64KiB", "", "x", "9999999999999P"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil && n != 0 {
			t.Errorf("ParseSize(%q) = %d with error %v, want 0", s, n, err)
		}
	})
}
