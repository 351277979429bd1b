package pool

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestDevicePrefix(t *testing.T) {
	tests := []struct {
		word     string
		dev, ino uint64
		want     string
	}{
		{"docker", 0x801, 1048612, "docker-8:1-1048612"},
		{"docker", 0xfd01, 19478248, "docker-253:1-19478248"},
		{"docker", 0x21, 19478248, "docker-0:33-19478248"},
		// Minor above 255: the high bits sit at bit 20 (glibc's encoding).
		{"docker", 0x100103, 7, "docker-1:259-7"},
		// Major above 4095: Docker's major() keeps only 12 bits.
		{"docker", 0x1_0000_0800, 7, "docker-8:0-7"},
		{"dmctl", 0x801, 2, "dmctl-8:1-2"},
	}
	for _, tc := range tests {
		if got := DevicePrefix(tc.word, tc.dev, tc.ino); got != tc.want {
			t.Errorf("DevicePrefix(%q, %#x, %d) = %q, want %q", tc.word, tc.dev, tc.ino, got, tc.want)
		}
	}
}

func TestRootPrefix(t *testing.T) {
	root := t.TempDir()
	fi, err := os.Stat(root)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	want := DevicePrefix("docker", uint64(st.Dev), st.Ino)
	got, err := RootPrefix(root, "docker")
	if err != nil || got != want {
		t.Errorf("RootPrefix(%q, docker) = %q, %v, want %q", root, got, err, want)
	}
	if _, err := RootPrefix(root, "a b"); err == nil {
		t.Errorf("RootPrefix(%q, %q) = nil error, want one", root, "a b")
	}
	if _, err := RootPrefix(root+"/missing", "docker"); err == nil {
		t.Errorf("RootPrefix(missing) = nil error, want one")
	}
}

func TestNames(t *testing.T) {
	n := NewNames("docker-8:1-42", "")
	if n.Pool != "docker-8:1-42-pool" || n.Device(BaseID) != "docker-8:1-42-base" || n.Device("abc") != "docker-8:1-42-abc" {
		t.Errorf("NewNames(docker-8:1-42) = %+v, base %q", n, n.Device(BaseID))
	}
	if a := NewNames("docker-8:1-42", "thinpool"); a.Pool != "thinpool" {
		t.Errorf("NewNames(.., thinpool).Pool = %q, want thinpool", a.Pool)
	}
}

func TestValidateID(t *testing.T) {
	n := NewNames("docker-8:1-42", "")
	room := MaxNameLen - len("docker-8:1-42-")
	tests := []struct {
		id string
		ok bool
	}{
		{"abc", true},
		{"5d8e6a1c0f1b2e3d4c5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d-init", true},
		{strings.Repeat("a", room), true},
		{strings.Repeat("a", room+1), false},
		{"", false},
		{"a/b", false},
		{"a b", false},
		{"a\x00b", false},
		{"tab\t", false},
		{".hidden", false},
		{".", false},
		{"..", false},
		{"pool", false},
		{"deviceset-metadata", false},
		{"transaction-metadata", false},
		{"dmctl-pool.json", false},
		{"base", true}, // names the base device; creating it again fails elsewhere
	}
	for _, tc := range tests {
		err := n.ValidateID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestValidateNameWord(t *testing.T) {
	for word, ok := range map[string]bool{"docker": true, "dmctl": true, "": false, "a/b": false, "a b": false,
		strings.Repeat("x", 65): false} {
		if err := ValidateNameWord(word); (err == nil) != ok {
			t.Errorf("ValidateNameWord(%q) = %v, want ok=%v", word, err, ok)
		}
	}
}
