//go:build linux

package commands

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

// Shell completion. The bash and zsh scripts (man/dmctl.bash, man/_dmctl)
// run `dmctl WORD... --generate-bash-completion` with the words typed so
// far, the one being completed last (possibly empty), and offer what dmctl
// prints, one candidate a line; when it prints nothing they complete file
// names. dmctl offers: commands, flags, the values of --output and of -o
// (the command's columns), the kernel's device names for the dmsetup verbs,
// --uuid and --target, and the pool's thin device ids for the pool verbs and
// --origin.

// argKinds says what a command's arguments name.
var argKinds = map[string]string{
	"info": "device", "status": "device", "table": "device", "deps": "device", "remove": "device",
	"suspend": "device", "resume": "device", "load": "device", "clear": "device", "message": "device",
	"wait": "device", "rename": "device", "mknodes": "device",
	"snapshot rm": "id", "activate": "id", "deactivate": "id", "mount": "id", "umount": "id",
}

// complete prints the candidates for the last of words, the command line
// after the program name.
func complete(app *cli.App, words []string, w io.Writer) error {
	cur := ""
	if len(words) > 0 {
		cur, words = words[len(words)-1], words[:len(words)-1]
	}
	cl, _ := splitCommandLine(app, words, true)
	var cands []string
	if name, value, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(name, "-") {
		// --output=js: the flag's values, spelt the same way.
		if f := valueFlag(app, cl.path, name); f != nil {
			for _, v := range flagValues(app, cl, words, f) {
				cands = append(cands, name+"="+v)
			}
		}
		return printCandidates(w, cands, name+"="+value)
	}
	if len(words) > 0 {
		if f := valueFlag(app, cl.path, words[len(words)-1]); f != nil {
			cands = flagValues(app, cl, words, f)
			return printCandidates(w, cands, cur)
		}
	}
	var cmd *cli.Command
	children := app.Commands
	if len(cl.path) > 0 {
		cmd = cl.path[len(cl.path)-1]
		children = cmd.Subcommands
	}
	switch {
	case strings.HasPrefix(cur, "-"):
		flags := globalFlagSet(app)
		for _, c := range cl.path {
			flags = append(flags, commandFlags(c)...)
		}
		for _, f := range flags {
			for _, n := range f.Names() {
				if len(n) > 1 {
					cands = append(cands, "--"+n)
				}
			}
		}
	case len(children) > 0 && len(cl.args) == 0:
		for _, c := range children {
			if !c.Hidden {
				cands = append(cands, c.Name)
			}
		}
	case cmd != nil:
		path := strings.Join(cl.words, " ")
		switch argKinds[path] {
		case "device":
			cands = deviceNamesFor(func(e dmctl.NameEntry) string { return e.Name })
		case "id":
			cands = snapshotIDs(rootOf(app, cl))
		}
	}
	return printCandidates(w, cands, cur)
}

// valueFlag returns the flag word names when it takes a value (the word
// after it is that value), or nil.
func valueFlag(app *cli.App, path []*cli.Command, word string) cli.Flag {
	name, hasValue := strings.CutPrefix(word, "--")
	if !hasValue {
		name, hasValue = strings.CutPrefix(word, "-")
	}
	if !hasValue || strings.Contains(name, "=") {
		return nil
	}
	f, _ := lookupFlag(app, path, name)
	if f == nil || isBoolFlag(f) {
		return nil
	}
	return f
}

// flagValues returns the values a flag may take.
func flagValues(app *cli.App, cl cmdLine, words []string, f cli.Flag) []string {
	path := strings.Join(cl.words, " ")
	switch f.Names()[0] {
	case flagOutput:
		return []string{string(format.Table), string(format.JSON), string(format.Dmsetup)}
	case flagOptions:
		if path == "info" && containsWord(words, "-c", "--columns") {
			return format.ReportFieldIDs()
		}
		t, ok := commandTables[path]
		if !ok {
			return nil
		}
		var names []string
		for _, c := range t.Columns() {
			names = append(names, strings.ToLower(c.Name))
		}
		return names
	case flagUUID:
		if path == "create" {
			return nil
		}
		return deviceNamesFor(func(e dmctl.NameEntry) string { return e.UUID })
	case "target":
		ctl, err := dmctl.Open()
		if err != nil {
			return nil
		}
		defer ctl.Close()
		vs, _ := ctl.TargetVersions()
		var out []string
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return out
	case "origin":
		return snapshotIDs(rootOf(app, cl))
	case "fs":
		return []string{pool.FSXFS, pool.FSExt4}
	}
	return nil
}

func containsWord(words []string, any ...string) bool {
	for _, w := range words {
		for _, a := range any {
			if w == a {
				return true
			}
		}
	}
	return false
}

// deviceNamesFor lists something of every device-mapper device; nothing
// when the kernel cannot be asked (no device-mapper, not root).
func deviceNamesFor(pick func(dmctl.NameEntry) string) []string {
	ctl, err := dmctl.Open()
	if err != nil {
		return nil
	}
	defer ctl.Close()
	list, err := ctl.List(dmctl.ListOptions{UUIDs: true})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range list {
		if s := pick(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// snapshotIDs lists the thin device ids recorded under root, read from
// its device files without the kernel or the pool's lock.
func snapshotIDs(root string) []string {
	devs, err := pool.NewStore(root).Devices()
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range devs {
		out = append(out, d.ID)
	}
	return out
}

// rootOf returns the --root of a command line being completed.
func rootOf(app *cli.App, cl cmdLine) string {
	for _, u := range cl.flags {
		if u.flag.Names()[0] == flagRoot {
			return u.value
		}
	}
	if f, ok := findFlag(app.Flags, flagRoot).(*cli.StringFlag); ok {
		for _, e := range f.EnvVars {
			if v := os.Getenv(e); v != "" {
				return v
			}
		}
		return f.Value
	}
	return DefaultRoot
}

// printCandidates prints the candidates that start with cur, sorted, one a
// line.
func printCandidates(w io.Writer, cands []string, cur string) error {
	sort.Strings(cands)
	seen := map[string]bool{}
	for _, c := range cands {
		if !strings.HasPrefix(c, cur) || seen[c] {
			continue
		}
		seen[c] = true
		if _, err := fmt.Fprintln(w, c); err != nil {
			return err
		}
	}
	return nil
}
