package dmctl

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		in        string
		wantFlags uintptr
		wantData  string
	}{
		{"", 0, ""},
		{"ro", unix.MS_RDONLY, ""},
		{"nouuid,ro", unix.MS_RDONLY, "nouuid"},
		{"ro,rw", 0, ""},
		{"rw,ro", unix.MS_RDONLY, ""},
		{"discard,noexec,nosuid,data=ordered", unix.MS_NOEXEC | unix.MS_NOSUID, "discard,data=ordered"},
		{"defaults,,noatime", unix.MS_NOATIME, ""},
		{"nouuid,logbsize=256k", 0, "nouuid,logbsize=256k"},
	}
	for _, tc := range tests {
		flags, data := parseMountOptions(tc.in)
		if flags != tc.wantFlags || data != tc.wantData {
			t.Errorf("parseMountOptions(%q) = %#x, %q, want %#x, %q", tc.in, flags, data, tc.wantFlags, tc.wantData)
		}
	}
}
