package format

import (
	"bytes"
	"io"
	"strconv"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dustin/go-humanize"
)

// DeviceTargets is one device's table or status: what DM_TABLE_STATUS
// returns for it.
type DeviceTargets struct {
	Name    string
	Info    dmctl.DeviceInfo
	Targets []dmctl.Target // in a status, Params holds the status text
}

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
	// DepNames prints DeviceDeps.DepNames instead of device numbers (deps
	// -o devname or -o blkdevname; the caller fills DepNames accordingly).
	DepNames bool
}

// targetLineJSON is the JSON form of a table or status line.
type targetLineJSON struct {
	StartSector   uint64  `json:"start_sector"`
	LengthSectors uint64  `json:"length_sectors"`
	Type          string  `json:"type"`
	Params        *string `json:"params,omitempty"`
	Status        *string `json:"status,omitempty"`
}

// deviceTargetsJSON is the JSON form of a DeviceTargets.
type deviceTargetsJSON struct {
	Name    string           `json:"name"`
	UUID    string           `json:"uuid"`
	Major   uint32           `json:"major"`
	Minor   uint32           `json:"minor"`
	Targets []targetLineJSON `json:"targets"`
}

// Status prints devices' status lines (DM_TABLE_STATUS without
// DM_STATUS_TABLE_FLAG). Dmsetup prints what dmsetup status prints (_status
// in dmsetup.c): per target "%llu %llu %s %s\n" (start, length, type,
// status; the blank after the type is printed even when the status is
// empty), prefixed with "NAME: " under WithNames; a device without a table
// prints the prefix and a newline only; an empty list prints "No devices
// found".
func Status(w io.Writer, k Kind, devs []DeviceTargets, opts TargetsOptions) error {
	return targetLines(w, k, "status", devs, opts, false)
}

// Tables prints devices' tables (DM_TABLE_STATUS with
// DM_STATUS_TABLE_FLAG), as Status does and with the same layout for
// Dmsetup (dmsetup table), except that keys are hidden unless ShowKeys, and
// Concise selects dmsetup table --concise: devices separated by ';', each
// "NAME,UUID,MINOR,ro|rw" followed by ",START LENGTH TYPE PARAMS" per
// target, with ',', ';' and '\' in names, UUIDs and params escaped by '\',
// and one newline at the end. (The name Table is taken by the Kind.)
func Tables(w io.Writer, k Kind, devs []DeviceTargets, opts TargetsOptions) error {
	return targetLines(w, k, "table", devs, opts, true)
}

// targetLines implements Status and Tables.
func targetLines(w io.Writer, k Kind, what string, devs []DeviceTargets, opts TargetsOptions, table bool) error {
	k, err := k.resolve(what)
	if err != nil {
		return err
	}
	params := func(t *dmctl.Target) string {
		if table && !opts.ShowKeys {
			return hideKeys(t.Type, t.Params)
		}
		return t.Params
	}
	switch k {
	case JSON:
		out := make([]deviceTargetsJSON, 0, len(devs))
		for i := range devs {
			d := &devs[i]
			lines := make([]targetLineJSON, 0, len(d.Targets))
			for j := range d.Targets {
				t := &d.Targets[j]
				if opts.Target != "" && t.Type != opts.Target {
					continue
				}
				p := params(t)
				line := targetLineJSON{StartSector: t.Start, LengthSectors: t.Length, Type: t.Type}
				if table {
					line.Params = &p
				} else {
					line.Status = &p
				}
				lines = append(lines, line)
			}
			if opts.Target != "" && len(lines) == 0 {
				continue
			}
			out = append(out, deviceTargetsJSON{
				Name: d.Name, UUID: d.Info.UUID,
				Major: d.Info.Dev.Major(), Minor: d.Info.Dev.Minor(),
				Targets: lines,
			})
		}
		return writeJSON(w, what, out)
	case Dmsetup:
		var b bytes.Buffer
		if len(devs) == 0 {
			b.WriteString(noDevices)
		} else if table && opts.Concise {
			concise(&b, devs, opts.Target, params)
		} else {
			for i := range devs {
				dmsetupLines(&b, &devs[i], opts, params)
			}
		}
		return flush(w, what, &b)
	}
	last := "STATUS"
	if table {
		last = "PARAMS"
	}
	var rows [][]string
	for i := range devs {
		d := &devs[i]
		if len(d.Targets) == 0 && opts.Target == "" {
			rows = append(rows, []string{d.Name})
			continue
		}
		for j := range d.Targets {
			t := &d.Targets[j]
			if opts.Target != "" && t.Type != opts.Target {
				continue
			}
			rows = append(rows, []string{
				d.Name,
				strconv.FormatUint(t.Start, 10),
				strconv.FormatUint(t.Length, 10),
				humanize.IBytes(t.Length * 512),
				t.Type,
				params(t),
			})
		}
	}
	cols := []column{
		{heading: "NAME"},
		{heading: "START", right: true},
		{heading: "LENGTH", right: true},
		{heading: "SIZE", right: true},
		{heading: "TYPE"},
		{heading: last},
	}
	return writeTable(w, what, cols, rows)
}

// dmsetupLines writes one device as _status does outside --concise: the
// loop over dm_get_next_target runs once with no target when the device has
// no table.
func dmsetupLines(b *bytes.Buffer, d *DeviceTargets, opts TargetsOptions, params func(*dmctl.Target) string) {
	if len(d.Targets) == 0 {
		if opts.Target != "" {
			return
		}
		if opts.WithNames {
			b.WriteString(d.Name + ": ")
		}
		b.WriteByte('\n')
		return
	}
	for j := range d.Targets {
		t := &d.Targets[j]
		if opts.Target != "" && t.Type != opts.Target {
			continue
		}
		if opts.WithNames {
			b.WriteString(d.Name + ": ")
		}
		b.WriteString(strconv.FormatUint(t.Start, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatUint(t.Length, 10))
		b.WriteByte(' ')
		b.WriteString(t.Type)
		b.WriteByte(' ')
		b.WriteString(params(t))
		b.WriteByte('\n')
	}
}
