package commands_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/commands"
	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

// haveDM reports whether this process can reach device-mapper (in the
// test guest it can; on the build host it cannot).
func haveDM() bool {
	ctl, err := dmctl.Open()
	if err != nil {
		return false
	}
	ctl.Close()
	return true
}

// TestCheckExitCodes checks that check tells "could not look" (3) from
// "problems found" (1): with no pool in the root it exits 3.
func TestCheckExitCodes(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"--root", root, "check"},
		{"--root", root, "check", "--output", "json"},
		{"--root", root, "check", "--repair"},
	} {
		out, errOut, code := run(t, args...)
		if code != commands.ExitCheckNotRun {
			t.Errorf("dmctl %s = exit %d, want %d (stderr %q)", strings.Join(args, " "), code, commands.ExitCheckNotRun, errOut)
		}
		if out != "" {
			t.Errorf("dmctl %s printed %q, want nothing", strings.Join(args, " "), out)
		}
		checkErrorLine(t, "check", errOut)
	}
	_, errOut, code := run(t, "--root", root, "check", "--yes")
	if code != commands.ExitUsage {
		t.Errorf("dmctl check --yes = exit %d, want %d (stderr %q)", code, commands.ExitUsage, errOut)
	}
}

// TestExitCodesAreDocumented runs command lines that fail in different
// ways and checks that the exit code is one of dmctl's (0, 1, 2, and 3 for
// check), never one urfave/cli made up.
func TestExitCodesAreDocumented(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"pool"}, {"pool", "frob"}, {"pool", "help", "frob"}, {"snapshot", "help"}, {"help"}, {"--help"},
		{"ls", "--help"}, {"--version"}, {"version"}, {"frob"}, {"info", "nosuch-device"},
		{"--output", "dmsetup", "info", "nosuch-device"}, {"pool", "ls"}, {"snapshot", "ls"},
	} {
		_, _, code := run(t, append([]string{"--root", root}, args...)...)
		if code < 0 || code > 2 {
			t.Errorf("dmctl %s = exit %d, want 0, 1 or 2", strings.Join(args, " "), code)
		}
	}
}

// TestVersion checks that dmctl prints its own version with or without a
// kernel, then the driver's.
func TestVersion(t *testing.T) {
	out, errOut, code := run(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "dmctl version ") || errOut != "" {
		t.Errorf("dmctl --version = %q, %q, exit %d, want \"dmctl version VERSION\"", out, errOut, code)
	}
	if strings.TrimSpace(strings.TrimPrefix(out, "dmctl version ")) == "" {
		t.Errorf("dmctl --version = %q: no version", out)
	}
	out, errOut, code = run(t, "version")
	if !strings.HasPrefix(out, "Library version:   dmctl ") || !strings.HasSuffix(strings.SplitN(out, "\n", 2)[0], " (pure-Go ioctl)") {
		t.Errorf("dmctl version = %q, want dmctl's version first", out)
	}
	if haveDM() {
		if code != 0 || !strings.Contains(out, "\nDriver version:    4.") {
			t.Errorf("dmctl version = %q, exit %d (stderr %q), want the driver's version and exit 0", out, code, errOut)
		}
	} else {
		if code != commands.ExitFailure || strings.Contains(out, "Driver version") {
			t.Errorf("dmctl version without device-mapper = %q, exit %d, want dmctl's version only and exit 1", out, code)
		}
		checkErrorLine(t, "version", errOut)
	}
	out, _, _ = run(t, "version", "--output", "json")
	view, _ := format.ViewFor("version")
	if err := view.Validate([]byte(out)); err != nil {
		t.Errorf("dmctl version --output json = %s: %v", out, err)
	}
	var v struct {
		Version string  `json:"dmctl_version"`
		Driver  *string `json:"driver_version"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version == "" || (v.Driver != nil) != haveDM() {
		t.Errorf("dmctl version --output json = %s, want dmctl_version set and driver_version %v", out, haveDM())
	}
}

// TestQuiet checks that --quiet prints nothing on success and only the
// error line on failure.
func TestQuiet(t *testing.T) {
	out, errOut, code := run(t, "--quiet", "--version")
	if out != "" || errOut != "" || code != 0 {
		t.Errorf("dmctl --quiet --version = %q, %q, exit %d, want nothing, exit 0", out, errOut, code)
	}
	out, errOut, code = run(t, "version", "-q")
	if out != "" {
		t.Errorf("dmctl version -q printed %q, want nothing", out)
	}
	if code != 0 {
		checkErrorLine(t, "version -q", errOut)
	}
	out, errOut, code = run(t, "-q", "ls", "--frob")
	if out != "" || code != commands.ExitUsage {
		t.Errorf("dmctl -q ls --frob = %q, exit %d, want nothing on stdout, exit 2", out, code)
	}
	checkErrorLine(t, "-q ls --frob", errOut)
}

// TestEveryCommandHasAView checks that every command either prints one of
// the JSON views of the schema or is known to print nothing.
func TestEveryCommandHasAView(t *testing.T) {
	app := commands.NewApp(strings.NewReader(""), nil, nil)
	for _, path := range commandPaths(app.Commands, "") {
		if slices.Contains(format.NoJSON, path) {
			continue
		}
		found := false
		for _, v := range format.Views {
			for _, c := range v.Commands {
				if c == path || strings.HasPrefix(c, path+" ") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("dmctl %s: no JSON view in format.Views and not in format.NoJSON", path)
		}
	}
}

// commandPaths lists the commands that do something (not the groups), as
// "pool create".
func commandPaths(cmds []*cli.Command, prefix string) []string {
	var out []string
	for _, c := range cmds {
		path := strings.TrimSpace(prefix + " " + c.Name)
		if len(c.Subcommands) > 0 {
			out = append(out, commandPaths(c.Subcommands, path)...)
			continue
		}
		out = append(out, path)
	}
	return out
}

// TestTableFileBeforeKernel checks that a table file that cannot be read
// fails (exit 1, as dmsetup) before the kernel is asked anything: the
// error is the file's, not device-mapper's.
func TestTableFileBeforeKernel(t *testing.T) {
	for _, args := range [][]string{{"create", "a", "/no/such/table/file"}, {"load", "a", "/no/such/table/file"}} {
		_, errOut, code := run(t, args...)
		if code != commands.ExitFailure || !strings.Contains(errOut, "table file") || strings.Contains(errOut, "device-mapper") {
			t.Errorf("dmctl %s = exit %d, stderr %q; want exit 1 and the file's error", strings.Join(args, " "), code, errOut)
		}
		checkErrorLine(t, strings.Join(args, " "), errOut)
	}
}

// TestHelpForms checks the ways to ask for help: they print it and exit 0,
// before any kernel work.
func TestHelpForms(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "status"}, "dmctl status - "},
		{[]string{"status", "--help"}, "dmctl status - "},
		{[]string{"snapshot", "help", "create"}, "dmctl snapshot create - "},
		{[]string{"status", "-o", "help"}, "data_used"},
		{[]string{"snapshot", "ls", "-o", "help"}, "exclusive"},
		{[]string{"info", "-c", "-o", "help"}, "blkdevs_used"},
	} {
		out, errOut, code := run(t, tc.args...)
		if code != 0 || errOut != "" || !strings.Contains(out, tc.want) {
			t.Errorf("dmctl %s = exit %d, stderr %q, stdout lacks %q:\n%s", strings.Join(tc.args, " "), code, errOut, tc.want, out)
		}
	}
}
