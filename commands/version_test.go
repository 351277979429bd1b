//go:build linux

package commands

import (
	"runtime/debug"
	"testing"
)

// TestVersionFromBuildInfo checks where a build that did not set the
// version (go build, go install) gets it: the module version go install
// records, else the VCS revision go build stamps, never "dev".
func TestVersionFromBuildInfo(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name     string
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"go install at a tag", "v1.2.3", nil, "v1.2.3"},
		{"go install at a commit", "v0.0.0-20261130190910-fe123a3b6477", vcs(rev, "false"), "v0.0.0-20261130190910-fe123a3b6477"},
		{"go build in a clean clone", "(devel)", vcs(rev, "false"), "0123456789ab"},
		{"go build in a modified clone", "(devel)", vcs(rev, "true"), "0123456789ab-dirty"},
		{"go build without VCS information", "(devel)", nil, "devel"},
		{"no module version", "", vcs("abc", "false"), "abc"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/dmctl/dmctl", Version: tc.main}, Settings: tc.settings}
		if got := versionFromBuildInfo(info); got != tc.want {
			t.Errorf("%s: versionFromBuildInfo = %q, want %q", tc.name, got, tc.want)
		}
	}
}
