//go:build linux

package commands

import (
	"io"
	"strings"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
)

// The man page is generated from the command definitions through dmctl's
// own roff template (not urfave/cli's Markdown route, which loses every
// <...> and is left out of the binary by the urfave_cli_no_docs build tag):
// each command's synopsis, arguments, description, options, table columns
// and examples. A command's examples are the indented lines after
// "Examples:" at the end of its Description, which --help shows as well.

// examplesMark starts the examples at the end of a command's Description.
const examplesMark = "\n\nExamples:\n"

// splitExamples splits a command's Description into its text and its
// examples.
func splitExamples(desc string) (text, examples string, ok bool) {
	if rest, found := strings.CutPrefix(desc, examplesMark[2:]); found {
		return "", rest, true
	}
	return strings.Cut(desc, examplesMark)
}

// manPage is what the template renders.
type manPage struct {
	App      *cli.App
	Globals  []manFlag
	Commands []manCommand
}

type manCommand struct {
	Path        string // "pool create"
	Args        string // "ID [DIR]"
	Usage       string
	Description []string // paragraphs
	Examples    []string
	Flags       []manFlag
	Columns     []format.ColumnInfo
	Aliases     []string
}

type manFlag struct {
	Names []string // "--uuid", "-u"
	Value string   // placeholder, "" for a boolean
	Usage string
	Extra string // default and environment
}

// commandTables are the table views of the commands with table flags:
// their columns are listed in the man page.
var commandTables = map[string]format.TableView{
	"ls":          format.ListTable,
	"info":        format.InfoTable,
	"status":      format.StatusTable,
	"table":       format.TablesTable,
	"deps":        format.DepsTable,
	"targets":     format.TargetsTable,
	"wait":        format.InfoTable,
	"check":       format.CheckTable,
	"pool ls":     format.PoolsTable,
	"snapshot ls": format.SnapshotsTable,
}

// WriteManPage writes dmctl's man page, generated from the command
// definitions, to w.
func WriteManPage(w io.Writer) error {
	app := NewApp(strings.NewReader(""), io.Discard, io.Discard)
	page := manPage{App: app, Globals: manFlags(globalFlagSet(app))}
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			if len(c.Subcommands) > 0 {
				walk(path, c.Subcommands)
				continue
			}
			desc, examples, _ := splitExamples(c.Description)
			mc := manCommand{Path: path, Args: c.ArgsUsage, Usage: c.Usage, Flags: manFlags(c.Flags), Aliases: c.Aliases}
			for _, p := range strings.Split(desc, "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					mc.Description = append(mc.Description, p)
				}
			}
			for _, e := range strings.Split(examples, "\n") {
				if e = strings.TrimSpace(e); e != "" {
					mc.Examples = append(mc.Examples, e)
				}
			}
			if t, ok := commandTables[path]; ok {
				mc.Columns = t.Columns()
			}
			page.Commands = append(page.Commands, mc)
		}
	}
	walk("", app.Commands)
	return manTemplate.Execute(w, page)
}

// manFlags describes flags for the man page.
func manFlags(flags []cli.Flag) []manFlag {
	out := make([]manFlag, 0, len(flags))
	for _, f := range flags {
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		mf := manFlag{}
		placeholder, usage := unquoteUsage(df.GetUsage())
		mf.Usage = usage
		if df.TakesValue() {
			mf.Value = placeholder
			if mf.Value == "" {
				mf.Value = "VALUE"
			}
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				mf.Names = append(mf.Names, "-"+n)
			} else {
				mf.Names = append(mf.Names, "--"+n)
			}
		}
		var extra []string
		if df.TakesValue() {
			if v := df.GetValue(); v != "" {
				extra = append(extra, "default "+v)
			}
		}
		for _, e := range df.GetEnvVars() {
			extra = append(extra, "env "+e)
		}
		if _, repeat := f.(*cli.GenericFlag); repeat {
			extra = append(extra, "repeatable")
		}
		mf.Extra = strings.Join(extra, "; ")
		out = append(out, mf)
	}
	return out
}

// unquoteUsage takes the first `quoted` word of a flag's usage as its
// value's placeholder and returns the usage without the quotes, as
// urfave/cli's help does.
func unquoteUsage(usage string) (placeholder, text string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return "", usage
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return "", usage
	}
	placeholder = usage[i+1 : i+1+j]
	return placeholder, usage[:i] + placeholder + usage[i+1+j+1:]
}

// roff escapes text for roff: backslashes, hyphens as \- (so that options
// copy and paste as ASCII), and a leading '.' or '\” that roff would take
// for a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			b.WriteString(`\&`)
		}
		b.WriteString(line)
	}
	return b.String()
}

var manTemplate = template.Must(template.New("man").Funcs(template.FuncMap{
	"roff":  roff,
	"opt":   roff,
	"upper": strings.ToUpper,
	"join":  strings.Join,
}).Parse(`.TH DMCTL 8 "" "dmctl" "System Administration"
.SH NAME
dmctl \- {{roff .App.Usage}}
.SH SYNOPSIS
.B dmctl
[\fIGLOBAL OPTIONS\fR] \fICOMMAND\fR [\fIOPTIONS\fR] [\fIARGUMENTS\fR]
.SH DESCRIPTION
{{roff .App.Description}}
.PP
Options may stand anywhere on the command line, before or after the command and its arguments, as
with dmsetup; short options take their value as the next word or run together with it (\fB\-u\fR\fIUUID\fR),
and one-letter switches may be grouped (\fB\-rn\fR). After \fB\-\-\fR every word is an argument.
.PP
Every command that prints something prints human tables by default, JSON with \fB\-\-output json\fR
(the schema is in docs/json.md) and dmsetup's own text with \fB\-\-output dmsetup\fR. Tables take
\fB\-o\fR \fICOL,...\fR, \fB\-\-noheadings\fR, \fB\-\-separator\fR \fISEP\fR and \fB\-\-bytes\fR, as dmsetup,
lsblk and lvs do: column names are one word and empty cells print \-; with \fB\-\-noheadings\fR, blanks inside a
cell print as \ex20, and with \fB\-\-separator\fR the separator's bytes inside a cell print as \ex\fINN\fR, except
in the last column, so that awk's fields are the columns.
.SH GLOBAL OPTIONS
{{- range .Globals}}
.TP
{{template "flag" .}}
{{- end}}
.SH COMMANDS
{{- range .Commands}}
.SS "{{opt .Path}}{{if .Args}} {{roff .Args}}{{end}}"
{{roff .Usage}}.
{{- if .Aliases}}
Also called \fB{{join .Aliases ", "}}\fR.
{{- end}}
{{- range .Description}}
.PP
{{roff .}}
{{- end}}
{{- if .Flags}}
.PP
Options:
.RS
{{- range .Flags}}
.TP
{{template "flag" .}}
{{- end}}
.RE
{{- end}}
{{- if .Columns}}
.PP
Columns (\fB\-o\fR; the first ones are printed by default):
{{range $i, $c := .Columns}}{{if $i}}, {{end}}\fB{{roff $c.Name}}\fR{{if not $c.Default}} (extra){{end}}{{end}}.
{{- end}}
{{- if .Examples}}
.PP
Examples:
.RS
.nf
{{- range .Examples}}
{{opt .}}
{{- end}}
.fi
.RE
{{- end}}
{{- end}}
.SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
the operation failed (one line on standard error says why); for \fBcheck\fR: the pool is inconsistent
.TP
.B 2
bad command line: nothing was done, and nothing was asked of the kernel. An empty value for a flag that names something (\fB\-u ""\fR, \fB\-\-root ""\fR, \fB\-\-data\-dev ""\fR: a script's unset variable) is one: it never falls back to a default or to every device
.TP
.B 3
\fBcheck\fR only: the check could not run (no pool, no device\-mapper); a repair that fails exits 1
.TP
.B 128+N
interrupted by signal N (SIGINT, SIGTERM), once the devices dmctl had suspended were resumed
.PP
With \fB\-\-output dmsetup\fR, errors dmsetup has words for are printed in them ("Device does not exist.",
"device\-mapper: remove ioctl on NAME  failed: Device or resource busy", then "Command failed.").
.SH ENVIRONMENT
.TP
.B DMCTL_ROOT
state directory of the pool (default /var/lib/dmctl), as \-\-root
.TP
.B DMCTL_OUTPUT
output format, as \-\-output
.TP
.B DM_DISABLE_UDEV
when set, dmctl makes /dev/mapper nodes itself without waiting for udev
.SH FILES
.TP
.B /dev/mapper/control
the device\-mapper control node (created from /proc/misc when missing)
.TP
.B ROOT/devicemapper/data, ROOT/devicemapper/metadata
sparse loop files of a loop\-mode pool
.TP
.B ROOT/metadata/
one JSON file a device, deviceset\-metadata and transaction\-metadata, as Docker's devicemapper driver wrote them
.SH SEE ALSO
dmsetup(8), lsblk(8), thin_check(8), thin_ls(8), lvmthin(7)
{{define "flag"}}
{{- range $i, $n := .Names}}{{if $i}}, {{end}}\fB{{opt $n}}\fR{{end}}{{if .Value}} \fI{{roff .Value}}\fR{{end}}
{{roff .Usage}}{{if .Extra}} ({{roff .Extra}}){{end}}
{{- end}}`))
