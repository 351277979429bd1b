package commands_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/commands"
	"github.com/dmctl/dmctl/pool"
)

// mainEnv names the environment variable that makes the test binary run
// dmctl itself: with mainEnv=1, TestMain runs commands.Main on the
// process's arguments and exits with its code.
const mainEnv = "DMCTL_TEST_MAIN"

// TestMain runs the tests, or dmctl when mainEnv=1, so that tests can run
// dmctl as a separate process through os.Args[0] (see runProcess).
func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		args := append([]string{"dmctl"}, os.Args[1:]...)
		stop := pool.CatchInterrupts() // as main does
		code := commands.Main(args, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// run runs dmctl with args in-process, with an empty standard input.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runIn(t, strings.NewReader(""), args...)
}

// runIn runs dmctl with args in-process, reading standard input from in.
func runIn(t *testing.T, in io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = commands.Main(append([]string{"dmctl"}, args...), in, &out, &errOut)
	return out.String(), errOut.String(), code
}

// mustRun runs dmctl in-process and fails the test unless it exits 0
// with nothing on standard error.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("dmctl %s = exit %d, stderr %q; want exit 0", strings.Join(args, " "), code, errOut)
	}
	return out
}

// runProcess runs dmctl with args as a separate process (the test binary
// re-executed with mainEnv=1).
func runProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), errOut.String(), ee.ExitCode()
		}
		t.Fatalf("run %s %s: %v", os.Args[0], strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

// checkErrorLine fails the test unless stderr is exactly one line that
// starts with "dmctl: ".
func checkErrorLine(t *testing.T, what, stderr string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "dmctl: ") || !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("%s: stderr = %q, want one line starting with \"dmctl: \"", what, stderr)
	}
}

// lineDiff describes how got differs from want, line by line.
func lineDiff(got, want string) string {
	g := strings.SplitAfter(got, "\n")
	w := strings.SplitAfter(want, "\n")
	var b strings.Builder
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl == wl {
			fmt.Fprintf(&b, "  %q\n", gl)
			continue
		}
		if wl != "" || i < len(w) {
			fmt.Fprintf(&b, "- %q\n", wl)
		}
		if gl != "" || i < len(g) {
			fmt.Fprintf(&b, "+ %q\n", gl)
		}
	}
	return b.String()
}

// TestUsageExitCodes checks that a bad command line exits 2 with one error
// line, in-process and as a separate process. None of these reach the
// kernel.
func TestUsageExitCodes(t *testing.T) {
	tests := [][]string{
		{"--no-such-flag", "ls"},
		{"ls", "--no-such-flag"},
		{"ls", "extra"},
		{"create"},
		{"create", "a", "b", "c"},
		{"create", "--notable", "--table", "0 8 zero", "a"},
		{"load"},
		{"reload"},
		{"resume"},
		{"suspend"},
		{"remove"},
		{"remove_all", "x"},
		{"rename", "a"},
		{"rename", "a", "b", "c"},
		{"rename", "--setuuid", "u", "a", "b"},
		{"message", "a", "0"},
		{"message", "a", "x", "create_thin", "0"},
		{"clear"},
		{"wait"},
		{"wait", "a", "1", "2"},
		{"--output", "yaml", "targets"},
		{"create", "--table", "0 8", "a"},
		{"create", "a/b", "--table", "0 8 zero"},
		{"create", "control", "--table", "0 8 zero"},
		{"create", strings.Repeat("n", 128), "--table", "0 8 zero"},
		{"create", "a", "-u", strings.Repeat("u", 129), "--table", "0 8 zero"},
		{"info", "a/b"},
		{"status", "..", "x"},
		{"remove", "a", "-u", "U"},
		{"remove", "-j", "253"},
		{"remove", "-j", "x", "-m", "1"},
		{"suspend", "-u", "U", "-m", "2"},
		// An empty selection (a script's unset variable) names no device:
		// it must not fall back to every device, or to the pool report.
		{"status", "-u", ""},
		{"info", "--uuid="},
		{"table", "-u", "", "x"},
		{"remove", "-u", ""},
		{"deps", "-j", "", "-m", ""},
		{"wait", "-j", "253", "-m", ""},
		// An empty --root would be the current directory: pool destroy
		// --yes under a script's unset $ROOT must not act there.
		{"--root", "", "pool", "destroy", "--yes"},
		{"pool", "ls", "--root="},
		// An empty device flag is not "no device": pool create must not
		// fall back to a loop pool.
		{"pool", "create", "--data-dev", "", "--metadata-dev", "/dev/vdb"},
		{"pool", "create", "--metadata-dev="},
		{"pool", "create", "--thinpooldev", ""},
		{"pool", "create", "--directlvm-device", ""},
		{"wait", "a", "abc"},
		{"wait", "-u", "U", "abc"},
		{"message", "-u", "U", "x", "create_thin", "0"},
		{"rename", "a", "--setuuid", strings.Repeat("u", 129)},
		{"info", "-c", "-o", "name,frob"},
		{"info", "-c", "-o", "name,"},
		{"info", "-o", "frob", "a"},
		{"info", "--nameprefixes", "a"},
		{"info", "-o", "name"},
		{"ls", "-o", "frob"},
		{"--output", "dmsetup", "ls", "-o", "frob"},
		{"status", "-o", "+frob"},
		// JSON prints every key, but a bad column is a bad command line
		// whatever the output (DMCTL_OUTPUT=json may be exported).
		{"--output", "json", "status", "-o", "frob"},
		{"snapshot", "ls", "-o", "id,frob", "--output", "json"},
		{"table", "-o", "name,frob"},
		{"--output", "dmsetup", "deps", "-o", "uuid"},
		{"targets", "-o", "version,uuid"},
		{"snapshot", "ls", "-o", "frob"},
		{"pool", "ls", "-o", "frob"},
		{"check", "-o", "frob"},
		{"pool", "frob"},
		{"snapshot", "frob"},
		{"pool", "help", "frob"},
		{"version", "extra"},
		{"mount", "a/b"},
		{"snapshot", "create", "ok", "--origin", "bad/origin"},
		{"snapshot", "rm", "ok", ".hidden"},
	}
	root := t.TempDir()
	for _, args := range tests {
		if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--root") }) {
			args = append([]string{"--root", root}, args...)
		}
		out, errOut, code := run(t, args...)
		if code != commands.ExitUsage {
			t.Errorf("Main(%q) = %d, want %d (stderr %q)", args, code, commands.ExitUsage, errOut)
		}
		if out != "" {
			t.Errorf("Main(%q) printed %q, want nothing on standard output", args, out)
		}
		checkErrorLine(t, strings.Join(args, " "), errOut)
	}
	t.Run("unknown command", func(t *testing.T) {
		_, errOut, code := run(t, "no-such-command")
		checkErrorLine(t, "dmctl no-such-command", errOut)
		if code != commands.ExitUsage {
			t.Errorf("dmctl no-such-command = exit %d, want %d", code, commands.ExitUsage)
		}
	})
	t.Run("flag after argument", func(t *testing.T) {
		// dmsetup (getopt) takes options anywhere, and so does dmctl.
		_, errOut, code := run(t, "create", "a", "--table", "0 8 zero")
		if code == commands.ExitUsage && strings.Contains(errOut, "got 3 argument") {
			t.Errorf("dmctl create NAME --table TABLE = %q: options after arguments are not parsed", errOut)
		}
	})
	_, errOut, code := runProcess(t, "ls", "--no-such-flag")
	if code != commands.ExitUsage {
		t.Errorf("dmctl ls --no-such-flag (process) = exit %d, want %d (stderr %q)", code, commands.ExitUsage, errOut)
	}
	checkErrorLine(t, "dmctl ls --no-such-flag (process)", errOut)
}

// TestEmptyRootFromEnvironment checks that DMCTL_ROOT set to nothing is
// refused as an empty --root is, rather than taken as the current
// directory.
func TestEmptyRootFromEnvironment(t *testing.T) {
	t.Setenv("DMCTL_ROOT", "")
	out, errOut, code := run(t, "pool", "ls")
	if code != commands.ExitUsage || out != "" || !strings.Contains(errOut, "DMCTL_ROOT") {
		t.Errorf("DMCTL_ROOT= dmctl pool ls = exit %d, stdout %q, stderr %q; want exit 2 naming DMCTL_ROOT", code, out, errOut)
	}
	checkErrorLine(t, "DMCTL_ROOT= dmctl pool ls", errOut)
}
