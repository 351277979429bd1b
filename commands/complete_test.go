package commands

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/pool"
)

// TestComplete checks the candidates offered for the word being typed.
func TestComplete(t *testing.T) {
	root := t.TempDir()
	store := pool.NewStore(root)
	if _, err := store.Init(true); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"base", "image", "ctr"} {
		if err := store.WriteDevice(pool.DeviceMeta{ID: id, DeviceID: i, Size: 1 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		words []string
		want  []string // every one of these, and nothing not starting with the last word
	}{
		{[]string{""}, []string{"info", "pool", "snapshot", "status", "version"}},
		{[]string{"st"}, []string{"status"}},
		{[]string{"pool", ""}, []string{"activate", "create", "destroy", "extend", "ls"}},
		{[]string{"--output", ""}, []string{"dmsetup", "json", "table"}},
		{[]string{"status", "--output", "j"}, []string{"json"}},
		{[]string{"status", "-o", ""}, []string{"name", "data_used", "mode"}},
		{[]string{"info", "-c", "-o", "dev"}, []string{"devno", "devnos_used", "devs_used"}},
		{[]string{"ls", "--"}, []string{"--tree", "--target", "--output", "--noheadings"}},
		{[]string{"mount", "--root", root, ""}, []string{"base", "ctr", "image"}},
		{[]string{"--root", root, "snapshot", "rm", "i"}, []string{"image"}},
		{[]string{"--root", root, "snapshot", "create", "x", "--origin", ""}, []string{"base", "ctr", "image"}},
		{[]string{"pool", "create", "--fs", ""}, []string{"ext4", "xfs"}},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		if err := complete(NewApp(strings.NewReader(""), &out, &out), tc.words, &out); err != nil {
			t.Fatalf("complete(%q) = %v", tc.words, err)
		}
		got := strings.Split(strings.TrimSpace(out.String()), "\n")
		for _, w := range tc.want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				t.Errorf("complete(%q) = %q, lacks %q", tc.words, got, w)
			}
		}
		cur := tc.words[len(tc.words)-1]
		for _, g := range got {
			if g != "" && !strings.HasPrefix(g, cur) {
				t.Errorf("complete(%q) offers %q, which does not start with %q", tc.words, g, cur)
			}
		}
	}
	// Through Main, as the shell scripts run it.
	var out, errOut bytes.Buffer
	if code := Main([]string{"dmctl", "--output", "", completionFlag}, strings.NewReader(""), &out, &errOut); code != 0 || out.String() != "dmsetup\njson\ntable\n" {
		t.Errorf("dmctl --output '' %s = exit %d, %q, %q", completionFlag, code, out.String(), errOut.String())
	}
}
