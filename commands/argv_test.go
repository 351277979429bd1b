package commands

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// testApp returns dmctl's app with every action replaced by one that
// records the context it ran with, and a pointer to that record.
func testApp() (*cli.App, *recorded) {
	app := NewApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	rec := &recorded{}
	record := func(c *cli.Context) error {
		rec.ctx = c
		rec.ran = nil
		for _, l := range c.Lineage() {
			if l.Command != nil && l.Command.Name != "" && l.Command.Name != app.Name {
				rec.ran = append([]string{l.Command.Name}, rec.ran...)
			}
		}
		rec.args = c.Args().Slice()
		return nil
	}
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.Action = record
			c.Before, c.After = nil, nil
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
	app.Action = record
	app.Before = nil // what the flags mean is not this test's business
	return app, rec
}

// recorded is what a test app's action saw.
type recorded struct {
	ran  []string // the command path that ran
	ctx  *cli.Context
	args []string
}

// runTestApp normalises and runs args on a fresh test app.
func runTestApp(args ...string) (*recorded, error) {
	app, rec := testApp()
	argv, err := normalizeArgs(app, append([]string{"dmctl"}, args...))
	if err != nil {
		return rec, err
	}
	return rec, app.Run(argv)
}

// commandPath is a command and the words that reach it.
type commandPath struct {
	words []string
	cmd   *cli.Command
}

// allCommands lists every command of the app, depth first.
func allCommands(cmds []*cli.Command, prefix []string) []commandPath {
	var out []commandPath
	for _, c := range cmds {
		words := append(prefix[:len(prefix):len(prefix)], c.Name)
		out = append(out, commandPath{words, c})
		out = append(out, allCommands(c.Subcommands, words)...)
	}
	return out
}

// sampleValue returns a value to give a flag on the command line and the
// value the command must then read back (as flagValue prints it).
func sampleValue(t *testing.T, f cli.Flag) (arg, want string) {
	t.Helper()
	switch f.(type) {
	case *cli.BoolFlag:
		return "", "true"
	case *cli.StringFlag:
		return "v-1", "v-1"
	case *cli.Uint64Flag, *cli.IntFlag, *cli.UintFlag, *cli.Int64Flag:
		return "7", "7"
	case *cli.GenericFlag:
		return "k=v,w", "k=v,w"
	}
	t.Fatalf("flag %s: no sample value for %T; teach sampleValue", f.Names()[0], f)
	return "", ""
}

// flagValue reads a flag's value, under one of its names, as a string.
func flagValue(t *testing.T, c *cli.Context, f cli.Flag, name string) string {
	t.Helper()
	switch f.(type) {
	case *cli.BoolFlag:
		return fmt.Sprint(c.Bool(name))
	case *cli.StringFlag:
		return c.String(name)
	case *cli.Uint64Flag:
		return fmt.Sprint(c.Uint64(name))
	case *cli.IntFlag:
		return fmt.Sprint(c.Int(name))
	case *cli.UintFlag:
		return fmt.Sprint(c.Uint(name))
	case *cli.Int64Flag:
		return fmt.Sprint(c.Int64(name))
	case *cli.GenericFlag:
		if g, ok := c.Generic(name).(fmt.Stringer); ok {
			return g.String()
		}
	}
	t.Fatalf("flag %s: cannot read %T; teach flagValue", name, f)
	return ""
}

// spellings returns the ways to write a flag called name with value arg
// (empty for a boolean), each as the words to put on the command line.
func spellings(name, arg string, isBool bool) [][]string {
	dash := "--"
	if len(name) == 1 {
		dash = "-"
	}
	if isBool {
		out := [][]string{{dash + name}, {dash + name + "=true"}}
		if len(name) > 1 {
			out = append(out, []string{"-" + name}) // Go style: one dash, whole name
		}
		return out
	}
	out := [][]string{{dash + name, arg}, {dash + name + "=" + arg}}
	if len(name) == 1 {
		out = append(out, []string{"-" + name + arg}) // getopt: -uUUID
	} else {
		out = append(out, []string{"-" + name, arg})
	}
	return out
}

// TestFlagsAnywhere runs every command with every one of its flags, and
// every global flag, under each of its names and spellings, before the
// command word, between the command and its arguments, between two
// arguments and after them; the command must see the flag's value under
// every name and the same arguments each time.
func TestFlagsAnywhere(t *testing.T) {
	app, _ := testApp()
	globals := app.Flags
	args := []string{"arg-a", "arg-b"}
	runs := 0
	for _, cp := range allCommands(app.Commands, nil) {
		type owned struct {
			f      cli.Flag
			global bool
		}
		var flags []owned
		for _, f := range cp.cmd.Flags {
			flags = append(flags, owned{f, false})
		}
		for _, f := range globals {
			flags = append(flags, owned{f, true})
		}
		for _, o := range flags {
			arg, want := sampleValue(t, o.f)
			for _, name := range o.f.Names() {
				for _, sp := range spellings(name, arg, isBoolFlag(o.f)) {
					positions := map[string][]string{
						"before command": slices.Concat(sp, cp.words, args),
						"after command":  slices.Concat(cp.words, sp, args),
						"between args":   slices.Concat(cp.words, args[:1], sp, args[1:]),
						"after args":     slices.Concat(cp.words, args, sp),
					}
					if len(cp.words) > 1 {
						positions["between command words"] = slices.Concat(cp.words[:1], sp, cp.words[1:], args)
					}
					for pos, argv := range positions {
						runs++
						rec, err := runTestApp(argv...)
						what := fmt.Sprintf("dmctl %s (%s)", strings.Join(argv, " "), pos)
						if err != nil {
							t.Errorf("%s: %v", what, err)
							continue
						}
						if !slices.Equal(rec.ran, cp.words) {
							t.Errorf("%s ran %q, want %q", what, rec.ran, cp.words)
							continue
						}
						if !slices.Equal(rec.args, args) {
							t.Errorf("%s: arguments %q, want %q", what, rec.args, args)
						}
						for _, n := range o.f.Names() {
							if got := flagValue(t, rec.ctx, o.f, n); got != want {
								t.Errorf("%s: %s = %q, want %q", what, n, got, want)
							}
						}
						if !rec.ctx.IsSet(o.f.Names()[0]) {
							t.Errorf("%s: %s not set", what, o.f.Names()[0])
						}
					}
				}
			}
		}
	}
	if runs < 500 {
		t.Errorf("only %d command lines tried: is the command tree empty?", runs)
	}
}

// TestFlagNamesUnique checks that no name means two flags on one command
// line: within a command, between a command and the commands above it, and
// against the global flags.
func TestFlagNamesUnique(t *testing.T) {
	app, _ := testApp()
	for _, cp := range allCommands(app.Commands, nil) {
		seen := map[string]string{}
		for _, f := range globalFlagSet(app) {
			for _, n := range f.Names() {
				seen[n] = "global --" + f.Names()[0]
			}
		}
		cmds := []*cli.Command{}
		for i := range cp.words {
			c := findCommand(app.Commands, cp.words[0])
			for _, w := range cp.words[1 : i+1] {
				c = findCommand(c.Subcommands, w)
			}
			cmds = append(cmds, c)
		}
		for _, c := range cmds {
			for _, f := range c.Flags {
				for _, n := range f.Names() {
					if other, dup := seen[n]; dup {
						t.Errorf("dmctl %s: -%s is both %s and %s --%s", strings.Join(cp.words, " "), n, other, c.Name, f.Names()[0])
					}
					seen[n] = c.Name + " --" + f.Names()[0]
				}
			}
		}
	}
}

// TestNormalizeArgs pins the rewriting itself, the dangerous cases first:
// a short string flag after the argument.
func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		in    []string
		want  []string // nil: a usage error
		usage string   // part of the usage error
	}{
		{in: []string{"mount", "ctr", "-o", "ro"}, want: []string{"mount", "--options=ro", "--", "ctr"}},
		{in: []string{"create", "X", "--table", "0 8 zero", "-u", "U"},
			want: []string{"create", "--table=0 8 zero", "--uuid=U", "--", "X"}},
		{in: []string{"status", "--output", "json"}, want: []string{"--output=json", "status"}},
		{in: []string{"status", "pool", "--output=json"}, want: []string{"--output=json", "status", "--", "pool"}},
		{in: []string{"-u", "U", "create", "X"}, want: []string{"create", "--uuid=U", "--", "X"}},
		{in: []string{"create", "-rn", "X"}, want: []string{"create", "--readonly=true", "--notable=true", "--", "X"}},
		{in: []string{"create", "-uU1", "X"}, want: []string{"create", "--uuid=U1", "--", "X"}},
		{in: []string{"create", "-u=U1", "X"}, want: []string{"create", "--uuid=U1", "--", "X"}},
		{in: []string{"create", "-ru", "U1", "X"}, want: []string{"create", "--readonly=true", "--uuid=U1", "--", "X"}},
		{in: []string{"snapshot", "create", "--", "-odd"}, want: []string{"snapshot", "create", "--", "-odd"}},
		{in: []string{"snapshot", "rm", "a", "--", "--deferred"}, want: []string{"snapshot", "rm", "--", "a", "--deferred"}},
		{in: []string{"pool", "--data-size", "1G", "create"}, want: []string{"pool", "create", "--data-size=1G"}},
		{in: []string{"load", "-", "--table=x"}, want: []string{"load", "--table=x", "--", "-"}},
		{in: []string{"reload", "a", "-r"}, want: []string{"reload", "--readonly=true", "--", "a"}},
		{in: []string{"ls", "--tree=false"}, want: []string{"ls", "--tree=false"}},
		{in: []string{"-output", "json", "ls", "-tree"}, want: []string{"--output=json", "ls", "--tree=true"}},
		{in: []string{"ls", "--help"}, want: []string{"ls", "--help=true"}},
		{in: []string{"--version"}, want: []string{"--version=true"}},
		{in: []string{"frob", "--output", "json"}, want: []string{"--output=json", "--", "frob"}},
		{in: []string{"ls", "--frob"}, usage: "ls: flag provided but not defined: --frob"},
		{in: []string{"--frob", "ls"}, usage: "flag provided but not defined: --frob"},
		{in: []string{"--uuid", "U", "ls"}, usage: "ls: flag provided but not defined: --uuid"},
		{in: []string{"mount", "ctr", "-o"}, usage: "mount: flag needs an argument: -o"},
		{in: []string{"create", "X", "-rz"}, usage: "create: flag provided but not defined: -z"},
		{in: []string{"status", "--output"}, usage: "status: flag needs an argument: --output"},
	}
	for _, tc := range tests {
		app, _ := testApp()
		got, err := normalizeArgs(app, append([]string{"dmctl"}, tc.in...))
		if tc.want == nil {
			if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), tc.usage) {
				t.Errorf("normalizeArgs(%q) = %q, %v, want usage error %q", tc.in, got, err, tc.usage)
			}
			continue
		}
		want := append([]string{"dmctl"}, tc.want...)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("normalizeArgs(%q) = %q, %v, want %q", tc.in, got, err, want)
		}
	}
}

// TestPositionalCount checks the argument count a command declares.
func TestPositionalCount(t *testing.T) {
	tests := []struct {
		args     []string
		min, max int
		usage    bool
	}{
		{[]string{"a"}, 1, 1, false},
		{nil, 1, 1, true},
		{[]string{"a", "b"}, 1, 1, true},
		{[]string{"a", "b", "c"}, 1, -1, false},
		{nil, 0, 0, false},
	}
	for _, tc := range tests {
		var err error
		app := &cli.App{
			Writer: &bytes.Buffer{}, ErrWriter: &bytes.Buffer{}, ExitErrHandler: func(*cli.Context, error) {},
			Commands: []*cli.Command{{Name: "cmd", Action: func(c *cli.Context) error {
				_, err = positional(c, tc.min, tc.max, "ARGS")
				return nil
			}}},
		}
		if runErr := app.Run(append([]string{"dmctl", "cmd", "--"}, tc.args...)); runErr != nil {
			t.Fatal(runErr)
		}
		if _, isUsage := err.(usageError); isUsage != tc.usage {
			t.Errorf("positional(%q, %d, %d) = %v, want usage error %v", tc.args, tc.min, tc.max, err, tc.usage)
		}
	}
}
