package format

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// InfoRecord is a device's state: what info, info -c and wait print
// (DM_DEV_STATUS, plus the read-ahead).
type InfoRecord struct {
	Device
	Suspended      bool   `json:"suspended" doc:"I/O to the device is suspended"`
	ReadOnly       bool   `json:"read_only" doc:"the device is read-only"`
	DeferredRemove bool   `json:"deferred_remove" doc:"the device will be removed when its last user closes it"`
	LiveTable      bool   `json:"live_table" doc:"a table is live"`
	InactiveTable  bool   `json:"inactive_table" doc:"a table is loaded in the inactive slot"`
	OpenCount      int32  `json:"open_count" doc:"how many times the device is open"`
	EventNr        uint32 `json:"event_nr" doc:"the device's event counter"`
	TargetCount    uint32 `json:"target_count" doc:"targets (segments) in the live table"`
	// ReadAheadSectors is nil when the read-ahead could not be read;
	// dmsetup info then leaves out its "Read Ahead:" line.
	ReadAheadSectors *uint32 `json:"read_ahead_sectors" doc:"read-ahead in 512-byte sectors; null when unknown"`
}

// InfoRecordOf returns the InfoRecord of a device's state and its
// read-ahead in sectors (nil when unknown).
func InfoRecordOf(i dmctl.DeviceInfo, readAhead *uint32) InfoRecord {
	return InfoRecord{
		Device:           DeviceOf(i.Name, i.UUID, i.Dev),
		Suspended:        i.Suspended(),
		ReadOnly:         i.ReadOnly(),
		DeferredRemove:   i.DeferredRemove(),
		LiveTable:        i.LiveTable(),
		InactiveTable:    i.InactiveTable(),
		OpenCount:        i.OpenCount,
		EventNr:          i.EventNr,
		TargetCount:      i.TargetCount,
		ReadAheadSectors: readAhead,
	}
}

// InfoTable is the table of info NAME... and wait.
var InfoTable TableView = infoTable

var infoTable = &table[InfoRecord]{what: "info", cols: append(deviceColumns(func(r *InfoRecord) *Device { return &r.Device }),
	column[InfoRecord]{name: "STATE", about: "active or suspended, then read-only and deferred-remove when they apply", get: func(r *InfoRecord) cell { return text(r.stateWords()) }},
	column[InfoRecord]{name: "TABLES", about: "the filled table slots: live, inactive, live+inactive or none", get: func(r *InfoRecord) cell { return text(r.tableWords()) }},
	column[InfoRecord]{name: "OPEN", right: true, about: "open count", get: func(r *InfoRecord) cell { return signed(int64(r.OpenCount)) }},
	column[InfoRecord]{name: "TARGETS", right: true, about: "targets in the live table", get: func(r *InfoRecord) cell { return unsigned(uint64(r.TargetCount)) }},
	column[InfoRecord]{name: "EVENT", right: true, about: "event counter", get: func(r *InfoRecord) cell { return unsigned(uint64(r.EventNr)) }},
	column[InfoRecord]{name: "UUID", about: "device-mapper uuid", get: func(r *InfoRecord) cell { return deviceUUID(&r.Device) }},
	column[InfoRecord]{name: "READ_AHEAD", right: true, extra: true, about: "read-ahead in sectors", get: func(r *InfoRecord) cell {
		if r.ReadAheadSectors == nil {
			return text("")
		}
		return unsigned(uint64(*r.ReadAheadSectors))
	}},
	column[InfoRecord]{name: "MAJ", right: true, extra: true, about: "major number", get: func(r *InfoRecord) cell { return deviceMajor(&r.Device) }},
	column[InfoRecord]{name: "MIN", right: true, extra: true, about: "minor number", get: func(r *InfoRecord) cell { return deviceMinor(&r.Device) }},
	column[InfoRecord]{name: "KNAME", extra: true, about: "kernel block device name, dm-N", get: func(r *InfoRecord) cell { return deviceBlkName(&r.Device) }},
	column[InfoRecord]{name: "ATTR", extra: true, about: "dmsetup's four attribute letters, e.g. L--w", get: func(r *InfoRecord) cell { return text(r.attr()) }},
)}

// Info prints devices' state. Dmsetup prints dmsetup info's long form
// (_display_info_long in dmsetup.c): per device the lines below, each
// device followed by a blank line, and "No devices found" for an empty
// list.
//
//	Name:              pool
//	State:             ACTIVE|SUSPENDED[ (READ-ONLY)][ (DEFERRED REMOVE)]
//	Read Ahead:        256                  (when the read-ahead is known)
//	Tables present:    LIVE[ & INACTIVE] | INACTIVE | None
//	Open count:        1                    (when not -1)
//	Event number:      0
//	Major, minor:      253, 0
//	Number of targets: 1                    (when not -1)
//	UUID: LVM-...                           (when set)
//
// State depends on the suspend flag only: a device with no live table is
// ACTIVE unless suspended.
func Info(out Output, recs []InfoRecord) error {
	k, err := out.Kind.resolve("info")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		return writeJSON(out.W, "info", nonNil(recs))
	case Dmsetup:
		var b bytes.Buffer
		if len(recs) == 0 {
			b.WriteString(noDevices)
		}
		for i := range recs {
			recs[i].long(&b)
		}
		return flush(out.W, "info", &b)
	}
	return infoTable.write(out, recs)
}

// long writes one device as _display_info_long does.
func (r *InfoRecord) long(b *bytes.Buffer) {
	fmt.Fprintf(b, "Name:              %s\n", r.Name)
	state := "ACTIVE"
	if r.Suspended {
		state = "SUSPENDED"
	}
	b.WriteString("State:             " + state)
	if r.ReadOnly {
		b.WriteString(" (READ-ONLY)")
	}
	if r.DeferredRemove {
		b.WriteString(" (DEFERRED REMOVE)")
	}
	b.WriteByte('\n')
	if r.ReadAheadSectors != nil {
		fmt.Fprintf(b, "Read Ahead:        %d\n", *r.ReadAheadSectors)
	}
	switch {
	case r.LiveTable && r.InactiveTable:
		b.WriteString("Tables present:    LIVE & INACTIVE\n")
	case r.LiveTable:
		b.WriteString("Tables present:    LIVE\n")
	case r.InactiveTable:
		b.WriteString("Tables present:    INACTIVE\n")
	default:
		b.WriteString("Tables present:    None\n")
	}
	if r.OpenCount != -1 {
		fmt.Fprintf(b, "Open count:        %d\n", r.OpenCount)
	}
	fmt.Fprintf(b, "Event number:      %d\n", r.EventNr)
	fmt.Fprintf(b, "Major, minor:      %d, %d\n", r.Major, r.Minor)
	// dm_info.target_count is an int, and -1 means unknown.
	if n := int32(r.TargetCount); n != -1 {
		fmt.Fprintf(b, "Number of targets: %d\n", n)
	}
	if r.UUID != "" {
		fmt.Fprintf(b, "UUID: %s\n", r.UUID)
	}
	b.WriteByte('\n')
}

// stateWords describes a device's state for people: "active" or
// "suspended", then ",read-only" and ",deferred-remove" when they apply.
func (r *InfoRecord) stateWords() string {
	words := make([]string, 0, 3)
	if r.Suspended {
		words = append(words, "suspended")
	} else {
		words = append(words, "active")
	}
	if r.ReadOnly {
		words = append(words, "read-only")
	}
	if r.DeferredRemove {
		words = append(words, "deferred-remove")
	}
	return strings.Join(words, ",")
}

// tableWords says which table slots are filled: "live", "inactive",
// "live+inactive" or "none".
func (r *InfoRecord) tableWords() string {
	switch {
	case r.LiveTable && r.InactiveTable:
		return "live+inactive"
	case r.LiveTable:
		return "live"
	case r.InactiveTable:
		return "inactive"
	}
	return "none"
}

// attr builds dmsetup's Stat field (_dm_info_status_disp): L or - (live
// table), I or - (inactive table), s or - (suspended), r or w.
func (r *InfoRecord) attr() string {
	a := []byte("----")
	if r.LiveTable {
		a[0] = 'L'
	}
	if r.InactiveTable {
		a[1] = 'I'
	}
	if r.Suspended {
		a[2] = 's'
	}
	a[3] = 'w'
	if r.ReadOnly {
		a[3] = 'r'
	}
	return string(a)
}
