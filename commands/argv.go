//go:build linux

package commands

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// dmctl takes every flag, global or a command's own, long or short, before
// or after the command's arguments, as dmsetup (getopt) and docker do.
// urfave/cli stops parsing a command's flags at its first argument and
// parses global flags only before the command, so Main first rewrites the
// command line against the app's command tree: normalizeArgs puts every
// flag, under its main name, right after the command it belongs to and the
// arguments after "--". That is the only place flags are recognised; the
// commands read them from the context and count their arguments.
//
// The accepted spellings:
//
//	--name VALUE, --name=VALUE, -n VALUE, -n=VALUE, -nVALUE
//	--bool, --bool=false, -b, -bc (several one-letter booleans, getopt style,
//	the last of which may take a value: -co name)
//	-name VALUE (Go style, one dash and a whole name)
//	--  (everything after it is an argument, even "-x")
//	-   (an argument: standard input)
//
// A flag before the command word that is not a global flag is the
// command's (dmsetup -u UUID create NAME).

// completionFlag ends a command line whose last word the shell wants
// completed (see complete).
const completionFlag = "--generate-bash-completion"

// flagUse is one flag found on the command line, resolved to its
// definition.
type flagUse struct {
	token string // the flag as typed, for messages
	name  string // what the user wrote, without dashes
	flag  cli.Flag
	value string // the value; "true"/"false" for booleans
	level int    // -1: global; otherwise the index in the command path
}

// cmdLine is a command line split against the command tree.
type cmdLine struct {
	path  []*cli.Command // the commands named, outermost first
	words []string       // the command words as typed (a name or an alias)
	flags []flagUse
	args  []string // positional arguments, in order
}

// normalizeArgs returns args rewritten for urfave/cli: the program name,
// the global flags, then each command word followed by its own flags as
// --name=value, then "--" and the arguments. A flag that no command on the
// path (nor the app) defines, or one that lacks its value, is a usage
// error.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	cl, err := splitCommandLine(app, args[1:], false)
	if err != nil {
		return nil, err
	}
	out := []string{args[0]}
	out = appendFlags(out, cl.flags, -1)
	for i, w := range cl.words {
		out = append(out, w)
		out = appendFlags(out, cl.flags, i)
	}
	if len(cl.args) > 0 {
		out = append(append(out, "--"), cl.args...)
	}
	return out, nil
}

// appendFlags appends the flags of one level as --name=value.
func appendFlags(out []string, flags []flagUse, level int) []string {
	for _, f := range flags {
		if f.level == level {
			out = append(out, "--"+f.flag.Names()[0]+"="+f.value)
		}
	}
	return out
}

// splitCommandLine finds the command words, the flags and the arguments
// of a command line (without the program name). With lenient set (shell
// completion of a line still being typed), unknown flags and a missing
// value are ignored.
func splitCommandLine(app *cli.App, words []string, lenient bool) (cmdLine, error) {
	var cl cmdLine
	var pending []flagUse // flags given before the command word that defines them
	children := app.Commands
	argsStarted := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			cl.args = append(cl.args, words[i+1:]...)
			break
		}
		if len(w) < 2 || w[0] != '-' {
			if c := findCommand(children, w); c != nil && !argsStarted {
				cl.path = append(cl.path, c)
				cl.words = append(cl.words, w)
				children = c.Subcommands
				continue
			}
			argsStarted = true
			cl.args = append(cl.args, w)
			continue
		}
		uses, consumed, err := parseFlagWord(app, cl.path, !argsStarted, words[i:])
		if err != nil {
			if lenient {
				continue
			}
			return cl, err
		}
		i += consumed - 1
		for _, u := range uses {
			if u.level == unresolved {
				pending = append(pending, u)
			} else {
				cl.flags = append(cl.flags, u)
			}
		}
	}
	for _, u := range pending {
		f, level := lookupFlag(app, cl.path, u.name)
		if f == nil || level < 0 {
			if lenient {
				continue
			}
			return cl, usagef("%sflag provided but not defined: %s", commandPrefix(cl.path), u.token)
		}
		u.flag, u.level = f, level
		cl.flags = append(cl.flags, u)
	}
	return cl, nil
}

// positional returns the command's positional arguments and checks their
// number: at least min, at most max (max < 0: no limit). Flags among them
// were taken out before parsing (see normalizeArgs).
func positional(c *cli.Context, min, max int, names string) ([]string, error) {
	args := c.Args().Slice()
	if len(args) < min || max >= 0 && len(args) > max {
		return nil, usagef("%s: want %s, got %d argument(s)", c.Command.FullName(), names, len(args))
	}
	return args, nil
}

// unresolved marks a flag seen before the command word that defines it.
const unresolved = -2

// parseFlagWord parses the flag word at words[0] (and its value, when it
// is the next word) and returns the flags it holds and how many words it
// used.
func parseFlagWord(app *cli.App, path []*cli.Command, beforeCommand bool, words []string) ([]flagUse, int, error) {
	w := words[0]
	body, long := strings.CutPrefix(w[1:], "-")
	name, value, hasValue := strings.Cut(body, "=")
	if f, level := resolveFlag(app, path, beforeCommand, name); f != nil || long {
		if f == nil {
			return nil, 0, usagef("%sflag provided but not defined: %s", commandPrefix(path), w)
		}
		u := flagUse{token: w, name: name, flag: f, level: level}
		return takeValue(path, u, value, hasValue, words)
	}
	// One dash and no flag of that whole name: one-letter flags run
	// together, getopt style (-rn, -co name, -uUUID).
	var uses []flagUse
	for j := 0; j < len(body); j++ {
		letter := body[j : j+1]
		f, level := resolveFlag(app, path, beforeCommand, letter)
		if f == nil {
			return nil, 0, usagef("%sflag provided but not defined: -%s", commandPrefix(path), letter)
		}
		u := flagUse{token: "-" + letter, name: letter, flag: f, level: level}
		if isBoolFlag(f) {
			u.value = "true"
			uses = append(uses, u)
			continue
		}
		rest := strings.TrimPrefix(body[j+1:], "=")
		if j+1 < len(body) {
			u.value = rest
			return append(uses, u), 1, nil
		}
		more, n, err := takeValue(path, u, "", false, words)
		return append(uses, more...), n, err
	}
	return uses, 1, nil
}

// takeValue completes u with its value: the one after '=', the next word,
// or "true" for a boolean.
func takeValue(path []*cli.Command, u flagUse, value string, hasValue bool, words []string) ([]flagUse, int, error) {
	switch {
	case hasValue:
		u.value = value
		return []flagUse{u}, 1, nil
	case isBoolFlag(u.flag):
		u.value = "true"
		return []flagUse{u}, 1, nil
	case len(words) < 2:
		return nil, 0, usagef("%sflag needs an argument: %s", commandPrefix(path), u.token)
	}
	u.value = words[1]
	return []flagUse{u}, 2, nil
}

// resolveFlag finds the flag called name for the command path: the
// innermost command's flags first, then its parents', then the global
// flags. Before the command word, a name no command on the path defines is
// looked for among all the commands below (returned with level
// unresolved, to be resolved once the command is known).
func resolveFlag(app *cli.App, path []*cli.Command, beforeCommand bool, name string) (cli.Flag, int) {
	if f, level := lookupFlag(app, path, name); f != nil {
		return f, level
	}
	if !beforeCommand {
		return nil, 0
	}
	children := app.Commands
	if len(path) > 0 {
		children = path[len(path)-1].Subcommands
	}
	if f := findBelow(children, name); f != nil {
		return f, unresolved
	}
	return nil, 0
}

// lookupFlag finds name among the flags of the path's commands, innermost
// first, then among the global flags (level -1).
func lookupFlag(app *cli.App, path []*cli.Command, name string) (cli.Flag, int) {
	for i := len(path) - 1; i >= 0; i-- {
		if f := findFlag(commandFlags(path[i]), name); f != nil {
			return f, i
		}
	}
	if f := findFlag(globalFlagSet(app), name); f != nil {
		return f, -1
	}
	return nil, 0
}

// findBelow finds a flag called name in the commands (and their
// subcommands), depth first.
func findBelow(cmds []*cli.Command, name string) cli.Flag {
	for _, c := range cmds {
		if f := findFlag(c.Flags, name); f != nil {
			return f
		}
		if f := findBelow(c.Subcommands, name); f != nil {
			return f
		}
	}
	return nil
}

// commandFlags returns a command's flags as urfave/cli will parse them:
// its own and --help.
func commandFlags(c *cli.Command) []cli.Flag {
	if c.HideHelp || cli.HelpFlag == nil {
		return c.Flags
	}
	return append(c.Flags[:len(c.Flags):len(c.Flags)], cli.HelpFlag)
}

// globalFlagSet returns the app's flags as urfave/cli will parse them: its
// own, --help and --version.
func globalFlagSet(app *cli.App) []cli.Flag {
	flags := app.Flags[:len(app.Flags):len(app.Flags)]
	if !app.HideHelp && cli.HelpFlag != nil {
		flags = append(flags, cli.HelpFlag)
	}
	if !app.HideVersion && app.Version != "" && cli.VersionFlag != nil {
		flags = append(flags, cli.VersionFlag)
	}
	return flags
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// isBoolFlag reports whether f takes no value.
func isBoolFlag(f cli.Flag) bool {
	_, ok := f.(*cli.BoolFlag)
	return ok
}

// commandPrefix names the command path for an error message: "pool
// create: ", or "" at the top.
func commandPrefix(path []*cli.Command) string {
	if len(path) == 0 {
		return ""
	}
	names := make([]string, len(path))
	for i, c := range path {
		names[i] = c.Name
	}
	return strings.Join(names, " ") + ": "
}
