package format

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// info -c prints dmsetup's report (dmsetup.c _report_init and the
// _report_fields table, laid out by libdm-report.c) byte for byte, with
// dmsetup's -o, --noheadings, --separator and --nameprefixes:
//
//   - -o lists fields by id, in any case and with or without '_'
//     ("devno", "Dev_No"); empty items between commas are skipped but a
//     trailing comma is an error, as in dmsetup; "+FIELDS" adds to the
//     default name,major,minor,attr,open,segments,events,uuid; name_all and
//     info_all add their groups.
//   - aligned (the default): each column is as wide as the largest of its
//     initial width and its longest value; headings are left-aligned and
//     padded to the width; numbers are right-aligned, strings left-aligned,
//     every field padded, the last too; fields are separated by a blank.
//   - --noheadings: no heading line, nothing padded, fields joined by ':'
//     (dmsetup's old machine format); --separator S: nothing padded, fields
//     joined by S (and headings printed unless --noheadings);
//     --nameprefixes: nothing padded, each field DM_ID='VALUE'.
//   - an empty list prints "No devices found".

// ReportDevice is one device of info -c: its state and, when the fields
// ask for them, what it uses and what uses it.
type ReportDevice struct {
	InfoRecord
	BlkDevName string // kernel name of the block device, dm-N
	// Deps are the devices the live table uses, in the kernel's order
	// (needed by device_count, devs_used, devnos_used and blkdevs_used).
	Deps []ReportDep
	// UsedBy are the device-mapper devices whose live tables use this one,
	// in the kernel's list order (needed by device_ref_count,
	// names_using_dev and devnos_using_dev).
	UsedBy []ReportDep
}

// ReportDep is a device another one uses or is used by.
type ReportDep struct {
	Major, Minor uint32
	Name         string // device-mapper name; "" for other block devices
	BlkName      string // kernel name: dm-1, loop0, sdb
}

// ReportNeeds says what info -c must gather for a field list (-o) besides
// each device's state: its dependencies (deps) and the devices using it
// (users, which takes every device's dependencies). It fails on a field
// list dmsetup would refuse.
func ReportNeeds(fields string) (deps, users bool, err error) {
	fs, err := parseReportFields(fields)
	if err != nil {
		return false, false, err
	}
	for _, f := range fs {
		deps = deps || f.needs == needDeps
		users = users || f.needs == needUsers
	}
	return deps, users, nil
}

// InfoColumns prints devices one a line as dmsetup info -c does, with the
// fields of out.Table.Columns (dmsetup's -o), out.Table.NoHeadings and
// out.Table.Separator, and namePrefixes for --nameprefixes. Table and
// Dmsetup print the same; JSON prints the devices' InfoRecords.
func InfoColumns(out Output, recs []ReportDevice, namePrefixes bool) error {
	k, err := out.Kind.resolve("info columns")
	if err != nil {
		return err
	}
	if k == JSON {
		infos := make([]InfoRecord, len(recs))
		for i := range recs {
			infos[i] = recs[i].InfoRecord
		}
		return writeJSON(out.W, "info columns", infos)
	}
	fields, err := parseReportFields(out.Table.Columns)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if len(recs) == 0 {
		b.WriteString(noDevices)
		return flush(out.W, "info columns", &b)
	}
	aligned, headings, sep := true, true, " "
	if out.Table.NoHeadings {
		aligned, headings, sep = false, false, ":"
	}
	if namePrefixes {
		aligned = false
	}
	if out.Table.Separator != "" {
		aligned, sep = false, out.Table.Separator
	}
	values := make([][]string, len(recs))
	widths := make([]int, len(fields))
	for j, f := range fields {
		widths[j] = f.width
	}
	for i := range recs {
		values[i] = make([]string, len(fields))
		for j, f := range fields {
			v := f.get(&recs[i])
			values[i][j] = v
			widths[j] = max(widths[j], len(v))
		}
	}
	if headings {
		for j, f := range fields {
			if j > 0 {
				b.WriteString(sep)
			}
			if aligned {
				padCut(&b, f.heading, widths[j], false)
			} else {
				b.WriteString(f.heading)
			}
		}
		b.WriteByte('\n')
	}
	for _, row := range values {
		for j, f := range fields {
			if j > 0 {
				b.WriteString(sep)
			}
			if namePrefixes {
				b.WriteString("DM_" + strings.ToUpper(f.id) + "='")
			}
			if aligned {
				padCut(&b, row[j], widths[j], f.number)
			} else {
				b.WriteString(row[j])
			}
			if namePrefixes {
				b.WriteByte('\'')
			}
		}
		b.WriteByte('\n')
	}
	return flush(out.W, "info columns", &b)
}

// WriteReportFields lists the fields info -c takes, for -o help.
func WriteReportFields(w io.Writer) error {
	var b bytes.Buffer
	for _, f := range reportFields {
		fmt.Fprintf(&b, "  %-18s - %s\n", f.id, f.about)
	}
	return flush(w, "info fields", &b)
}

// reportNeed is what a field needs gathered beyond the device's state.
type reportNeed int

const (
	needInfo reportNeed = iota
	needDeps
	needUsers
)

// reportField is one field of dmsetup's report, as _report_fields
// declares it.
type reportField struct {
	id      string
	heading string
	width   int
	number  bool
	group   string // the *_all group it belongs to
	needs   reportNeed
	about   string
	get     func(*ReportDevice) string
}

func i32(v int32) string  { return strconv.FormatInt(int64(v), 10) }
func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// reportFields are the fields of dmsetup's _report_fields that describe a
// device (the stats fields are not supported), in its order.
var reportFields = []reportField{
	{"name", "Name", 16, false, "name", needInfo, "Name of mapped device.", func(r *ReportDevice) string { return r.Name }},
	{"mangled_name", "MangledName", 16, false, "name", needInfo, "Mangled name of mapped device.", func(r *ReportDevice) string { return mangle(r.Name) }},
	{"unmangled_name", "UnmangledName", 16, false, "name", needInfo, "Unmangled name of mapped device.", func(r *ReportDevice) string { return unmangle(r.Name) }},
	{"uuid", "UUID", 32, false, "name", needInfo, "Unique (optional) identifier for mapped device.", func(r *ReportDevice) string { return string(r.UUID) }},
	{"mangled_uuid", "MangledUUID", 32, false, "name", needInfo, "Mangled unique (optional) identifier for mapped device.", func(r *ReportDevice) string { return mangle(string(r.UUID)) }},
	{"unmangled_uuid", "UnmangledUUID", 32, false, "name", needInfo, "Unmangled unique (optional) identifier for mapped device.", func(r *ReportDevice) string { return unmangle(string(r.UUID)) }},
	{"read_ahead", "RAhead", 6, true, "name", needInfo, "Read ahead value.", func(r *ReportDevice) string {
		if r.ReadAheadSectors == nil {
			return "0"
		}
		return u32(*r.ReadAheadSectors)
	}},
	{"blkdevname", "BlkDevName", 16, false, "info", needInfo, "Name of block device.", func(r *ReportDevice) string { return r.BlkDevName }},
	{"attr", "Stat", 4, false, "info", needInfo, "(L)ive, (I)nactive, (s)uspended, (r)ead-only, read-(w)rite.", func(r *ReportDevice) string { return r.attr() }},
	{"tables_loaded", "Tables", 6, false, "info", needInfo, "Which of the live and inactive table slots are filled.", func(r *ReportDevice) string {
		switch {
		case r.LiveTable && r.InactiveTable:
			return "Both"
		case r.LiveTable:
			return "Live"
		case r.InactiveTable:
			return "Inactive"
		}
		return "None"
	}},
	{"suspended", "Suspended", 9, false, "info", needInfo, "Whether the device is suspended.", func(r *ReportDevice) string {
		if r.Suspended {
			return "Suspended"
		}
		return "Active"
	}},
	{"readonly", "Read-only", 9, false, "info", needInfo, "Whether the device is read-only or writeable.", func(r *ReportDevice) string {
		if r.ReadOnly {
			return "Read-only"
		}
		return "Writeable"
	}},
	{"devno", "DevNo", 5, false, "info", needInfo, "Device major and minor numbers", func(r *ReportDevice) string { return i32(int32(r.Major)) + ":" + i32(int32(r.Minor)) }},
	{"major", "Maj", 3, true, "info", needInfo, "Block device major number.", func(r *ReportDevice) string { return i32(int32(r.Major)) }},
	{"minor", "Min", 3, true, "info", needInfo, "Block device minor number.", func(r *ReportDevice) string { return i32(int32(r.Minor)) }},
	{"open", "Open", 4, true, "info", needInfo, "Number of references to open device, if requested.", func(r *ReportDevice) string { return i32(r.OpenCount) }},
	{"segments", "Targ", 4, true, "info", needInfo, "Number of segments in live table, if present.", func(r *ReportDevice) string { return i32(int32(r.TargetCount)) }},
	{"events", "Event", 6, true, "info", needInfo, "Number of most recent event.", func(r *ReportDevice) string { return u32(r.EventNr) }},
	{"device_count", "#Devs", 5, true, "deps", needDeps, "Number of devices used by this one.", func(r *ReportDevice) string { return strconv.Itoa(len(r.Deps)) }},
	{"devs_used", "DevNamesUsed", 16, false, "tree", needDeps, "List of names of mapped devices used by this one.", func(r *ReportDevice) string { return joinDeps(r.Deps, depName) }},
	{"devnos_used", "DevNosUsed", 16, false, "deps", needDeps, "List of device numbers of devices used by this one.", func(r *ReportDevice) string { return joinDeps(r.Deps, depNo) }},
	{"blkdevs_used", "BlkDevNamesUsed", 16, false, "deps", needDeps, "List of names of block devices used by this one.", func(r *ReportDevice) string { return joinDeps(r.Deps, depBlkName) }},
	{"device_ref_count", "#Refs", 5, true, "tree", needUsers, "Number of mapped devices referencing this one.", func(r *ReportDevice) string { return strconv.Itoa(len(r.UsedBy)) }},
	{"names_using_dev", "RefNames", 8, false, "tree", needUsers, "List of names of mapped devices using this one.", func(r *ReportDevice) string { return joinDeps(r.UsedBy, depName) }},
	{"devnos_using_dev", "RefDevNos", 9, false, "tree", needUsers, "List of device numbers of mapped devices using this one.", func(r *ReportDevice) string { return joinDeps(r.UsedBy, depNo) }},
	{"subsystem", "Subsys", 6, false, "splitname", needInfo, "Userspace subsystem responsible for this device.", func(r *ReportDevice) string { return r.split().subsystem }},
	{"vg_name", "VG", 4, false, "splitname", needInfo, "LVM Volume Group name.", func(r *ReportDevice) string { return r.split().vg }},
	{"lv_name", "LV", 4, false, "splitname", needInfo, "LVM Logical Volume name.", func(r *ReportDevice) string { return r.split().lv }},
	{"lv_layer", "LVLayer", 7, false, "splitname", needInfo, "LVM device layer.", func(r *ReportDevice) string { return r.split().layer }},
}

// defaultReportFields is dmsetup's _default_report_options.
const defaultReportFields = "name,major,minor,attr,open,segments,events,uuid"

// parseReportFields resolves a -o list as libdm's _parse_fields does.
func parseReportFields(spec string) ([]*reportField, error) {
	if spec == "" {
		spec = defaultReportFields
	} else if rest, ok := strings.CutPrefix(spec, "+"); ok {
		spec = defaultReportFields + "," + rest
	}
	var out []*reportField
	for i := 0; i < len(spec); {
		for i < len(spec) && spec[i] == ',' {
			i++
		}
		j := i
		for j < len(spec) && spec[j] != ',' {
			j++
		}
		word := spec[i:j]
		i = j
		fs := matchReportField(word)
		if fs == nil {
			return nil, fmt.Errorf("info -c: unrecognised field %q (fields: %s)", word, reportFieldIDs())
		}
		out = append(out, fs...)
	}
	return out, nil
}

// matchReportField returns the field (or the *_all group) a word names.
func matchReportField(word string) []*reportField {
	canon := strings.ReplaceAll(word, "_", "")
	if canon == "" {
		return nil
	}
	for i := range reportFields {
		if strings.EqualFold(strings.ReplaceAll(reportFields[i].id, "_", ""), canon) {
			return []*reportField{&reportFields[i]}
		}
	}
	for _, group := range []string{"name", "info"} {
		if strings.EqualFold(canon, group+"all") {
			var out []*reportField
			for i := range reportFields {
				if reportFields[i].group == group {
					out = append(out, &reportFields[i])
				}
			}
			return out
		}
	}
	return nil
}

func reportFieldIDs() string { return strings.Join(ReportFieldIDs(), ",") }

// ReportFieldIDs returns the fields info -c takes with -o.
func ReportFieldIDs() []string {
	ids := make([]string, len(reportFields))
	for i, f := range reportFields {
		ids[i] = f.id
	}
	return ids
}

func depName(d ReportDep) string    { return d.Name }
func depBlkName(d ReportDep) string { return d.BlkName }
func depNo(d ReportDep) string      { return i32(int32(d.Major)) + ":" + i32(int32(d.Minor)) }

// joinDeps joins the non-empty names of deps with ','.
func joinDeps(deps []ReportDep, name func(ReportDep) string) string {
	var b strings.Builder
	for _, d := range deps {
		n := name(d)
		if n == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	return b.String()
}

// splitName is a device name split as dmsetup's _get_split_name does.
type splitName struct{ subsystem, vg, lv, layer string }

// split returns the subsystem (the uuid up to its first '-') and, for
// LVM, the volume group, logical volume and layer of the name.
func (r *ReportDevice) split() splitName {
	var s splitName
	uuid := string(r.UUID)
	if i := strings.IndexByte(uuid, '-'); i >= 0 {
		s.subsystem = uuid[:i]
	}
	if s.subsystem == "LVM" {
		var rest string
		s.vg, rest = unquoteLVM(r.Name)
		s.lv, rest = unquoteLVM(rest)
		s.layer, _ = unquoteLVM(rest)
	}
	return s
}

// unquoteLVM returns the first '-'-separated component of an LVM device
// name with "--" turned into '-', and the rest after the separator
// (libdm-string.c _unquote).
func unquoteLVM(s string) (component, rest string) {
	var b strings.Builder
	i := 0
	for ; i < len(s); i++ {
		if i+1 < len(s) && s[i] == '-' {
			if s[i+1] != '-' {
				return b.String(), s[i+1:]
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), ""
}

// mangle encodes the bytes udev does not take in a device name as \xNN,
// keeping what is already encoded (libdm mangle_string, auto mode).
func mangle(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == 'x':
			b.WriteByte(c)
		case isWhitelisted(c):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

// unmangle decodes \xNN sequences (libdm unmangle_string).
func unmangle(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isWhitelisted(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte("#+-.:=@_", c) >= 0
}

// padCut writes s padded with blanks to width (right-aligned when right is
// set) and cut at width, as printf's "%-*.*s" and "%*.*s" do.
func padCut(b *bytes.Buffer, s string, width int, right bool) {
	if len(s) > width {
		s = s[:width]
	}
	fill := strings.Repeat(" ", width-len(s))
	if right {
		b.WriteString(fill)
		b.WriteString(s)
		return
	}
	b.WriteString(s)
	b.WriteString(fill)
}
