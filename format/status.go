package format

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// TargetsOptions are dmsetup's switches for the verbs that print one line
// per target or per device: status, table and deps.
type TargetsOptions struct {
	// WithNames prefixes each line with "NAME: ". dmsetup does so when the
	// command line names no device (all devices are printed) or names more
	// than one: its multiple_devices rule, argc != 1, in main().
	WithNames bool
	// Target prints only targets of this type (--target). A device with no
	// such target prints nothing at all. Pass every target of each device:
	// filtering them beforehand would print a device without one as a
	// device without a table (an empty line).
	Target string
	// ShowKeys prints crypt and integrity keys in tables (--showkeys);
	// without it they are overwritten with '0's, in every Kind.
	ShowKeys bool
	// Concise prints tables in dmsetup's --concise form (table only).
	Concise bool
	// DepNames prints each dependency's name instead of its device number
	// (deps -o devname or -o blkdevname; the caller fills the names
	// accordingly).
	DepNames bool
}

// StatusRecord is one device of status: its state, each target's status
// and, for a thin pool or a thin device, the parsed figures.
type StatusRecord struct {
	Device
	Type        OptString      `json:"type" doc:"the first target's type; null without a live table"`
	SizeBytes   uint64         `json:"size_bytes" doc:"size: the sum of the live table's target lengths"`
	Suspended   bool           `json:"suspended" doc:"I/O to the device is suspended"`
	ReadOnly    bool           `json:"read_only" doc:"the device is read-only"`
	OpenCount   int32          `json:"open_count" doc:"how many times the device is open"`
	Targets     []StatusTarget `json:"targets" doc:"every target (segment) of the live table, in order, with its status"`
	Pool        *PoolUsage     `json:"pool" doc:"a thin pool's parsed status; null for other devices"`
	Thin        *ThinUsage     `json:"thin" doc:"a thin device's parsed status; null for other devices"`
	Mountpoints []string       `json:"mountpoints" doc:"where the device is mounted in this mount namespace"`
}

// StatusTarget is one target (segment) of a device and its status text.
type StatusTarget struct {
	StartSector   uint64 `json:"start_sector" doc:"first sector of the segment"`
	LengthSectors uint64 `json:"length_sectors" doc:"length of the segment in 512-byte sectors"`
	Type          string `json:"type" doc:"target type"`
	Status        string `json:"status" doc:"the target's status text, as the kernel reports it"`
}

// PoolUsage is a thin pool's status with its figures in bytes.
type PoolUsage struct {
	TransactionID       uint64    `json:"transaction_id" doc:"the pool's metadata transaction id"`
	BlockSizeBytes      uint64    `json:"block_size_bytes" doc:"data block size"`
	DataUsedBytes       uint64    `json:"data_used_bytes" doc:"data space in use"`
	DataTotalBytes      uint64    `json:"data_total_bytes" doc:"data space"`
	DataUsedPercent     float64   `json:"data_used_percent" doc:"data space in use, percent, two decimals"`
	MetadataUsedBytes   uint64    `json:"metadata_used_bytes" doc:"metadata space in use"`
	MetadataTotalBytes  uint64    `json:"metadata_total_bytes" doc:"metadata space"`
	MetadataUsedPercent float64   `json:"metadata_used_percent" doc:"metadata space in use, percent, two decimals"`
	Mode                string    `json:"mode" doc:"rw, ro, out_of_data_space or fail"`
	Discard             OptString `json:"discard" doc:"discard_passdown, no_discard_passdown or ignore_discard; null when not reported"`
	ErrorIfNoSpace      bool      `json:"error_if_no_space" doc:"I/O fails at once when the pool is full instead of queueing"`
	NeedsCheck          bool      `json:"needs_check" doc:"the metadata needs checking before the pool can go read-write"`
	HeldMetadataRoot    *uint64   `json:"held_metadata_root" doc:"block of the held metadata snapshot; null when none is held"`
	Failed              bool      `json:"failed" doc:"the pool reported Fail or Error; the figures are then 0"`
}

// ThinUsage is a thin device's status.
type ThinUsage struct {
	MappedBytes         uint64  `json:"mapped_bytes" doc:"bytes mapped to pool data blocks"`
	HighestMappedSector *uint64 `json:"highest_mapped_sector" doc:"last sector of the highest mapped block; null when nothing is mapped"`
	Failed              bool    `json:"failed" doc:"the device reported Fail or Error"`
}

// Percent returns part of whole in percent, rounded to two decimals (0 for
// an empty whole).
func Percent(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(int64(float64(part)*10000/float64(whole)+0.5)) / 100
}

// statusRow is one line of the status table: a device and one of its
// targets (nil for a device without a table).
type statusRow struct {
	r *StatusRecord
	t *StatusTarget
}

// StatusTable is the table of status.
var StatusTable TableView = statusTable

var statusTable = &table[statusRow]{what: "status", cols: []column[statusRow]{
	{name: "NAME", about: "device-mapper name", get: func(s *statusRow) cell { return text(s.r.Name) }},
	{name: "MAJ:MIN", right: true, about: "major:minor device number", get: func(s *statusRow) cell { return text(s.r.majMin()) }},
	{name: "TYPE", about: "target type of the segment", get: func(s *statusRow) cell { return s.target(func(t *StatusTarget) cell { return text(t.Type) }) }},
	{name: "START", right: true, about: "first sector of the segment", get: func(s *statusRow) cell {
		return s.target(func(t *StatusTarget) cell { return unsigned(t.StartSector) })
	}},
	{name: "SIZE", right: true, about: "size of the segment", get: func(s *statusRow) cell {
		return s.target(func(t *StatusTarget) cell { return size(t.LengthSectors * 512) })
	}},
	{name: "STATE", about: "active or suspended, then ro when read-only", get: func(s *statusRow) cell { return text(s.r.stateWords()) }},
	{name: "STATUS", about: "pools: data and metadata used/total and mode; thins: mapped bytes; others: the kernel's status text", get: func(s *statusRow) cell {
		return cell{fn: s.summary}
	}},
	{name: "UUID", extra: true, about: "device-mapper uuid", get: func(s *statusRow) cell { return text(string(s.r.UUID)) }},
	{name: "SECTORS", right: true, extra: true, about: "length of the segment in sectors", get: func(s *statusRow) cell {
		return s.target(func(t *StatusTarget) cell { return unsigned(t.LengthSectors) })
	}},
	{name: "DEVICE_SIZE", right: true, extra: true, about: "size of the whole device", get: func(s *statusRow) cell { return size(s.r.SizeBytes) }},
	{name: "OPEN", right: true, extra: true, about: "open count", get: func(s *statusRow) cell { return signed(int64(s.r.OpenCount)) }},
	{name: "DATA_USED", right: true, extra: true, about: "pools: data space in use; thins: mapped bytes", get: func(s *statusRow) cell {
		switch {
		case s.r.Pool != nil:
			return size(s.r.Pool.DataUsedBytes)
		case s.r.Thin != nil:
			return size(s.r.Thin.MappedBytes)
		}
		return text("")
	}},
	{name: "DATA_TOTAL", right: true, extra: true, about: "pools: data space", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return size(p.DataTotalBytes) })
	}},
	{name: "DATA%", right: true, extra: true, about: "pools: data space in use, percent", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return text(percentText(p.DataUsedBytes, p.DataTotalBytes)) })
	}},
	{name: "META_USED", right: true, extra: true, about: "pools: metadata space in use", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return size(p.MetadataUsedBytes) })
	}},
	{name: "META_TOTAL", right: true, extra: true, about: "pools: metadata space", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return size(p.MetadataTotalBytes) })
	}},
	{name: "META%", right: true, extra: true, about: "pools: metadata space in use, percent", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return text(percentText(p.MetadataUsedBytes, p.MetadataTotalBytes)) })
	}},
	{name: "MODE", extra: true, about: "pools: rw, ro, out_of_data_space or fail", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return text(p.Mode) })
	}},
	{name: "TRANSACTION", right: true, extra: true, about: "pools: metadata transaction id", get: func(s *statusRow) cell {
		return s.pool(func(p *PoolUsage) cell { return unsigned(p.TransactionID) })
	}},
	{name: "MOUNTPOINTS", extra: true, about: "where the device is mounted, comma-separated", get: func(s *statusRow) cell {
		return text(strings.Join(s.r.Mountpoints, ","))
	}},
}}

func (s *statusRow) target(f func(*StatusTarget) cell) cell {
	if s.t == nil {
		return text("")
	}
	return f(s.t)
}

func (s *statusRow) pool(f func(*PoolUsage) cell) cell {
	if s.r.Pool == nil || s.r.Pool.Failed {
		return text("")
	}
	return f(s.r.Pool)
}

// summary is the STATUS column: parsed for pools and thins, the kernel's
// text otherwise.
func (s *statusRow) summary(bytes bool) string {
	switch p, t := s.r.Pool, s.r.Thin; {
	case s.t == nil:
		return ""
	case p != nil && p.Failed:
		return "pool " + p.Mode
	case p != nil:
		out := fmt.Sprintf("data %s/%s %s, metadata %s/%s %s, %s",
			sizeText(p.DataUsedBytes, bytes), sizeText(p.DataTotalBytes, bytes), percentText(p.DataUsedBytes, p.DataTotalBytes),
			sizeText(p.MetadataUsedBytes, bytes), sizeText(p.MetadataTotalBytes, bytes), percentText(p.MetadataUsedBytes, p.MetadataTotalBytes),
			p.Mode)
		if p.NeedsCheck {
			out += ", needs_check"
		}
		if p.ErrorIfNoSpace {
			out += ", error_if_no_space"
		}
		return out
	case t != nil && t.Failed:
		return "thin failed"
	case t != nil:
		return "mapped " + sizeText(t.MappedBytes, bytes)
	}
	return strings.TrimSpace(s.t.Status)
}

func (r *StatusRecord) stateWords() string {
	w := "active"
	if r.Suspended {
		w = "suspended"
	}
	if r.ReadOnly {
		w += ",ro"
	}
	return w
}

// Status prints devices' status. Table prints a line per target (a
// device with several segments shows each) and JSON the records. Dmsetup
// prints what dmsetup status prints (_status in dmsetup.c): per target
// "%llu %llu %s %s\n" (start, length, type, status; the blank after the
// type is printed even when the status is empty), prefixed with "NAME: "
// under WithNames; a device without a table prints the prefix and a newline
// only; an empty list prints "No devices found". Only each record's Name
// and Targets matter to the dmsetup form.
func Status(out Output, recs []StatusRecord, opts TargetsOptions) error {
	k, err := out.Kind.resolve("status")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		js := make([]StatusRecord, len(recs))
		for i, r := range recs {
			r.Targets, r.Mountpoints = nonNil(r.Targets), nonNil(r.Mountpoints)
			js[i] = r
		}
		return writeJSON(out.W, "status", js)
	case Dmsetup:
		lines := make([]targetLines, len(recs))
		for i := range recs {
			r := &recs[i]
			lines[i] = targetLines{Name: r.Name, Lines: make([]targetLine, len(r.Targets))}
			for j, t := range r.Targets {
				lines[i].Lines[j] = targetLine{t.StartSector, t.LengthSectors, t.Type, t.Status}
			}
		}
		var b bytes.Buffer
		dmsetupTargets(&b, lines, opts)
		return flush(out.W, "status", &b)
	}
	var rows []statusRow
	for i := range recs {
		r := &recs[i]
		if len(r.Targets) == 0 {
			if opts.Target == "" {
				rows = append(rows, statusRow{r: r})
			}
			continue
		}
		for j := range r.Targets {
			if opts.Target == "" || r.Targets[j].Type == opts.Target {
				rows = append(rows, statusRow{r: r, t: &r.Targets[j]})
			}
		}
	}
	return statusTable.write(out, rows)
}

// TableRecord is one device of table: its live (or inactive) table.
type TableRecord struct {
	Device
	ReadOnly bool          `json:"read_only" doc:"the device is read-only"`
	Targets  []TableTarget `json:"targets" doc:"the table's targets (segments), in order"`
}

// TableTarget is one line of a table.
type TableTarget struct {
	StartSector   uint64 `json:"start_sector" doc:"first sector of the segment"`
	LengthSectors uint64 `json:"length_sectors" doc:"length of the segment in 512-byte sectors"`
	Type          string `json:"type" doc:"target type"`
	Params        string `json:"params" doc:"the target's parameters; crypt and integrity keys are zeroed unless --showkeys"`
}

type tableRow struct {
	r *TableRecord
	t *TableTarget
}

// TablesTable is the table of table.
var TablesTable TableView = tablesTable

var tablesTable = &table[tableRow]{what: "table", cols: []column[tableRow]{
	{name: "NAME", about: "device-mapper name", get: func(s *tableRow) cell { return text(s.r.Name) }},
	{name: "START", right: true, about: "first sector of the segment", get: func(s *tableRow) cell { return s.target(func(t *TableTarget) cell { return unsigned(t.StartSector) }) }},
	{name: "SECTORS", right: true, about: "length of the segment in sectors", get: func(s *tableRow) cell {
		return s.target(func(t *TableTarget) cell { return unsigned(t.LengthSectors) })
	}},
	{name: "SIZE", right: true, about: "size of the segment", get: func(s *tableRow) cell {
		return s.target(func(t *TableTarget) cell { return size(t.LengthSectors * 512) })
	}},
	{name: "TYPE", about: "target type", get: func(s *tableRow) cell { return s.target(func(t *TableTarget) cell { return text(t.Type) }) }},
	{name: "PARAMS", about: "the target's parameters", get: func(s *tableRow) cell { return s.target(func(t *TableTarget) cell { return text(t.Params) }) }},
	{name: "MAJ:MIN", right: true, extra: true, about: "major:minor device number", get: func(s *tableRow) cell { return text(s.r.majMin()) }},
	{name: "UUID", extra: true, about: "device-mapper uuid", get: func(s *tableRow) cell { return text(string(s.r.UUID)) }},
}}

func (s *tableRow) target(f func(*TableTarget) cell) cell {
	if s.t == nil {
		return text("")
	}
	return f(s.t)
}

// Tables prints devices' tables. Table prints a line per target and JSON
// the records; keys are hidden unless ShowKeys, in every Kind. Dmsetup
// prints what dmsetup table prints, laid out as Status's dmsetup form, or
// with Concise dmsetup table --concise: devices separated by ';', each
// "NAME,UUID,MINOR,ro|rw" followed by ",START LENGTH TYPE PARAMS" per
// target, with ',', ';' and '\' in names, UUIDs and params escaped by '\',
// and one newline at the end. (The name Table is taken by the Kind.)
func Tables(out Output, recs []TableRecord, opts TargetsOptions) error {
	k, err := out.Kind.resolve("table")
	if err != nil {
		return err
	}
	shown := make([]TableRecord, len(recs))
	for i, r := range recs {
		shown[i] = r
		shown[i].Targets = make([]TableTarget, len(r.Targets))
		for j, t := range r.Targets {
			if !opts.ShowKeys {
				t.Params = hideKeys(t.Type, t.Params)
			}
			shown[i].Targets[j] = t
		}
	}
	switch k {
	case JSON:
		var out2 []TableRecord
		for _, r := range shown {
			if opts.Target != "" {
				kept := r.Targets[:0]
				for _, t := range r.Targets {
					if t.Type == opts.Target {
						kept = append(kept, t)
					}
				}
				if len(kept) == 0 {
					continue
				}
				r.Targets = kept
			}
			out2 = append(out2, r)
		}
		return writeJSON(out.W, "table", nonNil(out2))
	case Dmsetup:
		var b bytes.Buffer
		if opts.Concise {
			if len(shown) == 0 {
				b.WriteString(noDevices)
			} else {
				concise(&b, shown, opts.Target)
			}
			return flush(out.W, "table", &b)
		}
		lines := make([]targetLines, len(shown))
		for i := range shown {
			r := &shown[i]
			lines[i] = targetLines{Name: r.Name, Lines: make([]targetLine, len(r.Targets))}
			for j, t := range r.Targets {
				lines[i].Lines[j] = targetLine{t.StartSector, t.LengthSectors, t.Type, t.Params}
			}
		}
		dmsetupTargets(&b, lines, opts)
		return flush(out.W, "table", &b)
	}
	var rows []tableRow
	for i := range shown {
		r := &shown[i]
		if len(r.Targets) == 0 {
			if opts.Target == "" {
				rows = append(rows, tableRow{r: r})
			}
			continue
		}
		for j := range r.Targets {
			if opts.Target == "" || r.Targets[j].Type == opts.Target {
				rows = append(rows, tableRow{r: r, t: &r.Targets[j]})
			}
		}
	}
	return tablesTable.write(out, rows)
}

// targetLines is one device's lines of dmsetup status or table.
type targetLines struct {
	Name  string
	Lines []targetLine
}

type targetLine struct {
	start, length uint64
	typ, text     string
}

// dmsetupTargets writes devices as _status does outside --concise: the
// loop over dm_get_next_target runs once with no target when the device
// has no table.
func dmsetupTargets(b *bytes.Buffer, devs []targetLines, opts TargetsOptions) {
	if len(devs) == 0 {
		b.WriteString(noDevices)
		return
	}
	for _, d := range devs {
		if len(d.Lines) == 0 {
			if opts.Target != "" {
				continue
			}
			if opts.WithNames {
				b.WriteString(d.Name + ": ")
			}
			b.WriteByte('\n')
			continue
		}
		for _, t := range d.Lines {
			if opts.Target != "" && t.typ != opts.Target {
				continue
			}
			if opts.WithNames {
				b.WriteString(d.Name + ": ")
			}
			b.WriteString(strconv.FormatUint(t.start, 10))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatUint(t.length, 10))
			b.WriteByte(' ')
			b.WriteString(t.typ)
			b.WriteByte(' ')
			b.WriteString(t.text)
			b.WriteByte('\n')
		}
	}
}
