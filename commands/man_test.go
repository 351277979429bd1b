package commands

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

var updateMan = flag.Bool("update", false, "rewrite man/dmctl.8 from the command definitions")

// TestManPage fails when man/dmctl.8 is stale; `make man` rewrites it.
func TestManPage(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteManPage(&buf); err != nil {
		t.Fatalf("WriteManPage() = %v", err)
	}
	const path = "../man/dmctl.8"
	if *updateMan {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make man)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is stale: run make man", path)
	}
}

// TestManPageContents checks that the man page holds every command's
// synopsis, usage, description, options and examples, with no text lost
// (the <...> and WORD-MAJ:MIN-INO-pool of the old generator).
func TestManPageContents(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteManPage(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	want := []string{"EXIT STATUS", "ROOT/mnt/ID", "WORD-MAJ:MIN-INO-pool", "docs/json.md"}
	app := NewApp(strings.NewReader(""), nil, nil)
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			if len(c.Subcommands) > 0 {
				walk(path, c.Subcommands)
				continue
			}
			head := path
			if c.ArgsUsage != "" {
				head += " " + c.ArgsUsage
			}
			if !strings.Contains(page, `.SS "`+roff(head)+`"`) {
				t.Errorf("man page lacks the synopsis of %s", head)
			}
			want = append(want, c.Usage)
			desc, examples, hasExamples := splitExamples(c.Description)
			for _, p := range strings.Split(desc, "\n\n") {
				want = append(want, strings.TrimSpace(p))
			}
			if !hasExamples {
				t.Errorf("dmctl %s: its description has no examples", path)
			}
			for _, e := range strings.Split(examples, "\n") {
				want = append(want, strings.TrimSpace(e))
			}
			for _, f := range c.Flags {
				want = append(want, "--"+f.Names()[0])
			}
		}
	}
	walk("", app.Commands)
	for _, w := range want {
		if w != "" && !strings.Contains(page, roff(w)) {
			t.Errorf("man page lacks %q", w)
		}
	}
	// groff, when present, must render it without a warning.
	if groff, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = &buf
		out, err := cmd.CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff -man -ww: %v\n%s", err, out)
		}
	}
}
