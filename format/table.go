package format

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Tables for people and scripts. Every table of Kind Table is a list of
// records and a list of columns; TableOptions pick the columns (-o), drop
// the headings and join cells with a separator instead of aligning them,
// and print sizes in bytes. Headings are one upper-case word each. In
// aligned tables an empty cell prints "-", and with --noheadings (a table
// for a script) blanks inside a cell print as \x20 except in the last
// column, which may hold free text, so that awk's fields are the table's
// columns; with a separator, cells print as they are. A newline inside a
// cell always prints as \x0a.

// cell is one table cell: text, or a size in bytes printed per --bytes.
type cell struct {
	text   string
	size   uint64
	isSize bool
	fn     func(bytes bool) string // text that holds sizes
	drawn  string                  // tree branches drawn before text, never escaped
}

func text(s string) cell     { return cell{text: s} }
func size(n uint64) cell     { return cell{size: n, isSize: true} }
func unsigned(n uint64) cell { return cell{text: strconv.FormatUint(n, 10)} }
func signed(n int64) cell    { return cell{text: strconv.FormatInt(n, 10)} }
func optSize(n *uint64) cell { return optCell(n, size) }
func yesNo(b bool) cell {
	if b {
		return text("yes")
	}
	return text("no")
}

func optCell(n *uint64, f func(uint64) cell) cell {
	if n == nil {
		return text("")
	}
	return f(*n)
}

func (c cell) String(bytes bool) string {
	if c.drawn != "" {
		return c.drawn + c.text
	}
	if c.fn != nil {
		return c.fn(bytes)
	}
	if c.isSize {
		return sizeText(c.size, bytes)
	}
	return c.text
}

// column is one column of a table of records R.
type column[R any] struct {
	name  string // heading and -o name: upper case, no blanks
	right bool   // right-aligned: numbers and sizes
	extra bool   // shown only when -o names it
	about string // what it shows, for -o help and the man page
	get   func(*R) cell
}

// table is a table view of records R.
type table[R any] struct {
	what string // the view's name, for messages
	cols []column[R]
}

// ColumnInfo describes one column of a table view.
type ColumnInfo struct {
	Name    string
	Default bool // shown without -o
	About   string
}

// TableView is a view printed as a table. Commands check -o against it
// before they read anything; the man page lists its columns.
type TableView interface {
	// CheckColumns checks an -o list: every name must be a column.
	CheckColumns(spec string) error
	// Columns lists the columns, default ones first in their order.
	Columns() []ColumnInfo
}

// CheckColumns implements TableView.
func (t *table[R]) CheckColumns(spec string) error {
	_, err := t.pick(spec)
	return err
}

// Columns implements TableView.
func (t *table[R]) Columns() []ColumnInfo {
	out := make([]ColumnInfo, 0, len(t.cols))
	for _, extra := range []bool{false, true} {
		for _, c := range t.cols {
			if c.extra == extra {
				out = append(out, ColumnInfo{Name: c.name, Default: !c.extra, About: c.about})
			}
		}
	}
	return out
}

// pick returns the indexes of the columns an -o list selects.
func (t *table[R]) pick(spec string) ([]int, error) {
	var idx []int
	if spec == "" || spec[0] == '+' {
		for i, c := range t.cols {
			if !c.extra {
				idx = append(idx, i)
			}
		}
		spec = strings.TrimPrefix(spec, "+")
	}
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i := t.find(name)
		if i < 0 {
			names := make([]string, len(t.cols))
			for j, c := range t.cols {
				names[j] = c.name
			}
			return nil, fmt.Errorf("%s: unknown column %q (columns: %s)", t.what, name, strings.Join(names, ","))
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("%s: no columns selected", t.what)
	}
	return idx, nil
}

func (t *table[R]) find(name string) int {
	for i, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

// write prints records as the table, laid out per out.Table.
func (t *table[R]) write(out Output, recs []R) error {
	idx, err := t.pick(out.Table.Columns)
	if err != nil {
		return err
	}
	headings := make([]string, len(idx))
	right := make([]bool, len(idx))
	for j, i := range idx {
		headings[j], right[j] = t.cols[i].name, t.cols[i].right
	}
	aligned := out.Table.Separator == ""
	escapeBlanks := aligned && out.Table.NoHeadings
	rows := make([][]string, len(recs))
	for r := range recs {
		row := make([]string, len(idx))
		for j, i := range idx {
			// The last column is the rest of the line: blanks and the
			// separator stay as they are there.
			blanks, sep := escapeBlanks && j != len(idx)-1, ""
			if j != len(idx)-1 {
				sep = out.Table.Separator
			}
			c := t.cols[i].get(&recs[r])
			switch s := c.String(out.Table.Bytes); {
			case s == "" && aligned:
				row[j] = "-"
			case c.drawn != "":
				row[j] = c.drawn + escapeCell(c.text, blanks, sep)
			default:
				row[j] = escapeCell(s, blanks, sep)
			}
		}
		rows[r] = row
	}
	return writeTable(out.W, t.what, out.Table, headings, right, rows)
}

// writeTable is the one place tables are laid out: aligned columns, or
// cells joined by opts.Separator. The cells come escaped.
func writeTable(w io.Writer, what string, opts TableOptions, headings []string, right []bool, rows [][]string) error {
	var b bytes.Buffer
	if opts.Separator != "" {
		line := func(cells []string) {
			for j, c := range cells {
				if j > 0 {
					b.WriteString(opts.Separator)
				}
				b.WriteString(c)
			}
			b.WriteByte('\n')
		}
		if !opts.NoHeadings {
			line(headings)
		}
		for _, r := range rows {
			line(r)
		}
		return flush(w, what, &b)
	}
	aligns := make(tw.Alignment, len(headings))
	for i := range headings {
		aligns[i] = tw.AlignLeft
		if right[i] {
			aligns[i] = tw.AlignRight
		}
	}
	var buf bytes.Buffer
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithAlignment(aligns),
		tablewriter.WithPadding(tw.Padding{Right: columnGap, Overwrite: true}),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if !opts.NoHeadings {
		t.Header(headings)
	}
	if err := t.Bulk(rows); err != nil {
		return fmt.Errorf("render %s: %w", what, err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render %s: %w", what, err)
	}
	return flush(w, what, trimLines(&buf))
}

// columnGap separates the columns of an aligned table, as in docker ps.
const columnGap = "   "

// escapeCell escapes what would break a table's lines or columns as \xNN,
// as lsblk -r does: newlines, with blanks set blanks and tabs too, and
// every byte of each occurrence of sep (the --separator), when set.
func escapeCell(s string, blanks bool, sep string) string {
	hasSep := sep != "" && strings.Contains(s, sep)
	if !hasSep && !strings.ContainsAny(s, "\n\r\t ") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if hasSep && strings.HasPrefix(s[i:], sep) {
			for j := 0; j < len(sep); j++ {
				fmt.Fprintf(&b, `\x%02x`, sep[j])
			}
			i += len(sep) - 1
			continue
		}
		switch c := s[i]; {
		case c == '\n' || c == '\r' || (blanks && (c == ' ' || c == '\t')):
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// trimLines removes the blanks tablewriter pads the last column with.
func trimLines(b *bytes.Buffer) *bytes.Buffer {
	var out bytes.Buffer
	out.Grow(b.Len())
	for _, line := range bytes.SplitAfter(b.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		body := bytes.TrimRight(line, " \n")
		out.Write(body)
		if line[len(line)-1] == '\n' {
			out.WriteByte('\n')
		}
	}
	return &out
}
