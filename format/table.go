package format

import (
	"bytes"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// column is one column of a human table.
type column struct {
	heading string
	right   bool // right-align heading and cells (numbers, sizes)
}

// columnGap separates the columns of a human table, as in docker ps.
const columnGap = "   "

// writeTable prints headings and rows as a borderless table with aligned
// columns and no trailing blanks. Rows shorter than cols are padded.
func writeTable(w io.Writer, what string, cols []column, rows [][]string) error {
	aligns := make(tw.Alignment, len(cols))
	headings := make([]string, len(cols))
	for i, c := range cols {
		headings[i] = c.heading
		aligns[i] = tw.AlignLeft
		if c.right {
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
	t.Header(headings)
	for _, r := range rows {
		if len(r) < len(cols) {
			r = append(r[:len(r):len(r)], make([]string, len(cols)-len(r))...)
		}
		if err := t.Append(r); err != nil {
			return fmt.Errorf("render %s: %w", what, err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render %s: %w", what, err)
	}
	return flush(w, what, trimLines(&buf))
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

// Rows prints a generic table: for Table (and Dmsetup, which has no form of
// its own) the headings and rows as aligned columns, for JSON the value
// jsonRows (typically a slice of structs or maps; nil prints []).
func Rows(w io.Writer, k Kind, headers []string, rows [][]string, jsonRows any) error {
	k, err := k.resolve("rows")
	if err != nil {
		return err
	}
	if k == JSON {
		if jsonRows == nil {
			jsonRows = []any{}
		}
		return writeJSON(w, "rows", jsonRows)
	}
	cols := make([]column, len(headers))
	for i, h := range headers {
		cols[i] = column{heading: h}
	}
	return writeTable(w, "rows", cols, rows)
}
