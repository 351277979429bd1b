package format

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// InfoRecord is one device for Info and InfoColumns: what DM_DEV_STATUS
// reports plus the device's read-ahead.
type InfoRecord struct {
	dmctl.DeviceInfo
	// ReadAhead is the device's read-ahead in 512-byte sectors, as libdm
	// reads it (sysfs bdi/read_ahead_kb × 2, or BLKRAGET).
	ReadAhead uint32
	// ReadAheadUnknown says the read-ahead could not be read; dmsetup info
	// then leaves out its "Read Ahead:" line.
	ReadAheadUnknown bool
}

// infoJSON is the JSON form of an InfoRecord.
type infoJSON struct {
	Name             string  `json:"name"`
	UUID             string  `json:"uuid"`
	Major            uint32  `json:"major"`
	Minor            uint32  `json:"minor"`
	Suspended        bool    `json:"suspended"`
	ReadOnly         bool    `json:"read_only"`
	DeferredRemove   bool    `json:"deferred_remove"`
	LiveTable        bool    `json:"live_table"`
	InactiveTable    bool    `json:"inactive_table"`
	OpenCount        int32   `json:"open_count"`
	EventNr          uint32  `json:"event_nr"`
	TargetCount      uint32  `json:"target_count"`
	ReadAheadSectors *uint32 `json:"read_ahead_sectors"`
}

// Info prints devices' state. Dmsetup prints dmsetup info's long form
// (_display_info_long in dmsetup.c): per device the lines below, each
// device followed by a blank line, and "No devices found" for an empty
// list.
//
//	Name:              pool
//	State:             ACTIVE|SUSPENDED[ (READ-ONLY)][ (DEFERRED REMOVE)]
//	Read Ahead:        256                  (when ReadAheadUnknown is false)
//	Tables present:    LIVE[ & INACTIVE] | INACTIVE | None
//	Open count:        1                    (when not -1)
//	Event number:      0
//	Major, minor:      253, 0
//	Number of targets: 1                    (when not -1)
//	UUID: LVM-...                           (when set)
//
// State depends on the suspend flag only: a device with no live table is
// ACTIVE unless suspended.
func Info(w io.Writer, k Kind, recs []InfoRecord) error {
	k, err := k.resolve("info")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		return writeJSON(w, "info", infoRecordsJSON(recs))
	case Dmsetup:
		var b bytes.Buffer
		if len(recs) == 0 {
			b.WriteString(noDevices)
		}
		for i := range recs {
			infoLong(&b, &recs[i])
		}
		return flush(w, "info", &b)
	}
	return infoTable(w, "info", recs)
}

// infoLong writes one device as _display_info_long does.
func infoLong(b *bytes.Buffer, r *InfoRecord) {
	fmt.Fprintf(b, "Name:              %s\n", r.Name)
	state := "ACTIVE"
	if r.Suspended() {
		state = "SUSPENDED"
	}
	b.WriteString("State:             " + state)
	if r.ReadOnly() {
		b.WriteString(" (READ-ONLY)")
	}
	if r.DeferredRemove() {
		b.WriteString(" (DEFERRED REMOVE)")
	}
	b.WriteByte('\n')
	if !r.ReadAheadUnknown {
		fmt.Fprintf(b, "Read Ahead:        %d\n", r.ReadAhead)
	}
	switch live, inactive := r.LiveTable(), r.InactiveTable(); {
	case live && inactive:
		b.WriteString("Tables present:    LIVE & INACTIVE\n")
	case live:
		b.WriteString("Tables present:    LIVE\n")
	case inactive:
		b.WriteString("Tables present:    INACTIVE\n")
	default:
		b.WriteString("Tables present:    None\n")
	}
	if r.OpenCount != -1 {
		fmt.Fprintf(b, "Open count:        %d\n", r.OpenCount)
	}
	fmt.Fprintf(b, "Event number:      %d\n", r.EventNr)
	fmt.Fprintf(b, "Major, minor:      %d, %d\n", r.Dev.Major(), r.Dev.Minor())
	// dm_info.target_count is an int, and -1 means unknown.
	if n := int32(r.TargetCount); n != -1 {
		fmt.Fprintf(b, "Number of targets: %d\n", n)
	}
	if r.UUID != "" {
		fmt.Fprintf(b, "UUID: %s\n", r.UUID)
	}
	b.WriteByte('\n')
}

// infoRecordsJSON converts records to their JSON form.
func infoRecordsJSON(recs []InfoRecord) []infoJSON {
	out := make([]infoJSON, len(recs))
	for i := range recs {
		r := &recs[i]
		out[i] = infoJSON{
			Name:           r.Name,
			UUID:           r.UUID,
			Major:          r.Dev.Major(),
			Minor:          r.Dev.Minor(),
			Suspended:      r.Suspended(),
			ReadOnly:       r.ReadOnly(),
			DeferredRemove: r.DeferredRemove(),
			LiveTable:      r.LiveTable(),
			InactiveTable:  r.InactiveTable(),
			OpenCount:      r.OpenCount,
			EventNr:        r.EventNr,
			TargetCount:    r.TargetCount,
		}
		if !r.ReadAheadUnknown {
			ra := r.ReadAhead
			out[i].ReadAheadSectors = &ra
		}
	}
	return out
}

// infoTable prints records as a human table.
func infoTable(w io.Writer, what string, recs []InfoRecord) error {
	rows := make([][]string, len(recs))
	for i := range recs {
		r := &recs[i]
		rows[i] = []string{
			r.Name,
			r.Dev.String(),
			stateWords(&r.DeviceInfo),
			tableWords(&r.DeviceInfo),
			strconv.FormatInt(int64(r.OpenCount), 10),
			strconv.FormatUint(uint64(r.TargetCount), 10),
			strconv.FormatUint(uint64(r.EventNr), 10),
			r.UUID,
		}
	}
	cols := []column{
		{heading: "NAME"},
		{heading: "MAJ:MIN", right: true},
		{heading: "STATE"},
		{heading: "TABLES"},
		{heading: "OPEN", right: true},
		{heading: "TARGETS", right: true},
		{heading: "EVENT", right: true},
		{heading: "UUID"},
	}
	return writeTable(w, what, cols, rows)
}

// stateWords describes a device's state for people: "active" or
// "suspended", then ",read-only" and ",deferred-remove" when they apply.
func stateWords(i *dmctl.DeviceInfo) string {
	words := make([]string, 0, 3)
	if i.Suspended() {
		words = append(words, "suspended")
	} else {
		words = append(words, "active")
	}
	if i.ReadOnly() {
		words = append(words, "read-only")
	}
	if i.DeferredRemove() {
		words = append(words, "deferred-remove")
	}
	return strings.Join(words, ",")
}

// tableWords says which table slots are filled: "live", "inactive",
// "live+inactive" or "none".
func tableWords(i *dmctl.DeviceInfo) string {
	switch live, inactive := i.LiveTable(), i.InactiveTable(); {
	case live && inactive:
		return "live+inactive"
	case live:
		return "live"
	case inactive:
		return "inactive"
	}
	return "none"
}
