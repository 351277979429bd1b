package commands_test

import (
	"strings"
	"testing"

	"github.com/dmctl/dmctl/commands"
)

// TestPoolUsageErrors checks that a bad pool command line exits 2 with one
// error line before anything reaches the kernel or the root.
func TestPoolUsageErrors(t *testing.T) {
	root := t.TempDir()
	tests := [][]string{
		{"pool", "create", "--block-size", "3K"},
		{"pool", "create", "--block-size", "100K"},
		{"pool", "create", "--data-size", "lots"},
		{"pool", "create", "--storage-opt", "dm.nosuch=1"},
		{"pool", "create", "--storage-opt", "dm.basesize=0"},
		{"pool", "create", "--fs", "btrfs"},
		{"pool", "create", "--min-free-space", "100%"},
		{"pool", "create", "--blkdiscard", "--no-blkdiscard"},
		{"pool", "create", "--data-dev", "/dev/vda"},
		{"pool", "create", "extra"},
		{"pool", "destroy"},
		{"pool", "extend", "--data-size", "lots"},
		{"pool", "activate", "extra"},
		{"snapshot", "create"},
		{"snapshot", "create", "a", "b"},
		{"snapshot", "create", "a", "--origin"},
		{"snapshot", "create", "a", "--nosuch"},
		{"snapshot", "create", "a", "--size", "big"},
		{"snapshot", "rm"},
		{"snapshot", "ls", "extra"},
		{"activate"},
		{"deactivate", "a", "b"},
		{"mount"},
		{"mount", "a", "b", "c"},
		{"umount"},
	}
	for _, args := range tests {
		full := append([]string{"--root", root}, args...)
		_, errOut, code := run(t, full...)
		if code != commands.ExitUsage {
			t.Errorf("Main(%q) = %d, want %d (stderr %q)", args, code, commands.ExitUsage, errOut)
		}
		checkErrorLine(t, strings.Join(args, " "), errOut)
	}
}
