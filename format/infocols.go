package format

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// reportField is one column of libdm's report engine as dmsetup info -c
// declares it (the _report_fields table in dmsetup.c).
type reportField struct {
	heading string
	width   int  // initial width; grows to the longest value
	right   bool // numbers are right-aligned, strings left-aligned
}

// InfoColumns prints devices one a line. Table and JSON print what Info
// prints. Dmsetup prints dmsetup info -c with its default fields
// name,major,minor,attr,open,segments,events,uuid, as libdm's report engine
// lays them out (_report_headings, _recalculate_fields and
// _output_field_basic_fmt in libdm-report.c, DM_REPORT_OUTPUT_ALIGNED |
// DM_REPORT_OUTPUT_BUFFERED | DM_REPORT_OUTPUT_HEADINGS, separator " "):
//
//   - each column is as wide as the largest of its initial width (Name 16,
//     Maj 3, Min 3, Stat 4, Open 4, Targ 4, Event 6, UUID 32) and its
//     longest value, in bytes;
//   - headings are left-aligned and padded to the column width;
//   - numbers are right-aligned, strings left-aligned, every field padded
//     to its width, the last one too (lines end in blanks);
//   - Stat is four characters: L or - (live table), I or - (inactive
//     table), s or - (suspended), r or w (read-only or writable);
//   - an empty list prints "No devices found" and no headings.
func InfoColumns(w io.Writer, k Kind, recs []InfoRecord) error {
	k, err := k.resolve("info columns")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		return writeJSON(w, "info columns", infoRecordsJSON(recs))
	case Table:
		return infoTable(w, "info columns", recs)
	}
	var b bytes.Buffer
	if len(recs) == 0 {
		b.WriteString(noDevices)
		return flush(w, "info columns", &b)
	}
	fields := [...]reportField{
		{"Name", 16, false},
		{"Maj", 3, true},
		{"Min", 3, true},
		{"Stat", 4, false},
		{"Open", 4, true},
		{"Targ", 4, true},
		{"Event", 6, true},
		{"UUID", 32, false},
	}
	rows := make([][len(fields)]string, len(recs))
	for i := range recs {
		r := &recs[i]
		rows[i] = [len(fields)]string{
			r.Name,
			strconv.FormatInt(int64(int32(r.Dev.Major())), 10),
			strconv.FormatInt(int64(int32(r.Dev.Minor())), 10),
			attr(r),
			strconv.FormatInt(int64(r.OpenCount), 10),
			strconv.FormatInt(int64(int32(r.TargetCount)), 10),
			strconv.FormatUint(uint64(r.EventNr), 10),
			r.UUID,
		}
		for j, v := range rows[i] {
			fields[j].width = max(fields[j].width, len(v))
		}
	}
	for j, f := range fields {
		if j > 0 {
			b.WriteByte(' ')
		}
		pad(&b, f.heading, f.width, false)
	}
	b.WriteByte('\n')
	for _, row := range rows {
		for j, f := range fields {
			if j > 0 {
				b.WriteByte(' ')
			}
			pad(&b, row[j], f.width, f.right)
		}
		b.WriteByte('\n')
	}
	return flush(w, "info columns", &b)
}

// attr builds dmsetup's Stat field (_dm_info_status_disp).
func attr(r *InfoRecord) string {
	a := []byte("----")
	if r.LiveTable() {
		a[0] = 'L'
	}
	if r.InactiveTable() {
		a[1] = 'I'
	}
	if r.Suspended() {
		a[2] = 's'
	}
	a[3] = 'w'
	if r.ReadOnly() {
		a[3] = 'r'
	}
	return string(a)
}

// pad writes s padded with blanks to width, like printf's "%-*s" or, when
// right is set, "%*s".
func pad(b *bytes.Buffer, s string, width int, right bool) {
	fill := strings.Repeat(" ", max(width-len(s), 0))
	if right {
		b.WriteString(fill)
		b.WriteString(s)
		return
	}
	b.WriteString(s)
	b.WriteString(fill)
}
