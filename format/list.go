package format

import (
	"bytes"
	"fmt"

	"github.com/dmctl/dmctl/dmctl"
)

// Device names a device-mapper device; every view of devices starts with
// it.
type Device struct {
	Name  string    `json:"name" doc:"device-mapper name"`
	UUID  OptString `json:"uuid" doc:"device-mapper uuid; null when the device has none"`
	Major uint32    `json:"major" doc:"major number of the block device"`
	Minor uint32    `json:"minor" doc:"minor number of the block device"`
}

// DeviceOf returns the Device of a name, uuid and device number.
func DeviceOf(name, uuid string, dev dmctl.Dev) Device {
	return Device{Name: name, UUID: OptString(uuid), Major: dev.Major(), Minor: dev.Minor()}
}

func (d *Device) majMin() string { return devNo(d.Major, d.Minor) }

// devNo prints a device number as MAJ:MIN.
func devNo(major, minor uint32) string { return dmctl.MakeDev(major, minor).String() }
func deviceName(d *Device) cell        { return text(d.Name) }
func deviceUUID(d *Device) cell        { return text(string(d.UUID)) }
func deviceMajMin(d *Device) cell      { return text(d.majMin()) }
func deviceMajor(d *Device) cell       { return unsigned(uint64(d.Major)) }
func deviceMinor(d *Device) cell       { return unsigned(uint64(d.Minor)) }
func deviceBlkName(d *Device) cell     { return text(fmt.Sprintf("dm-%d", d.Minor)) }
func deviceColumns[R any](get func(*R) *Device) []column[R] {
	return []column[R]{
		{name: "NAME", about: "device-mapper name", get: func(r *R) cell { return deviceName(get(r)) }},
		{name: "MAJ:MIN", right: true, about: "major:minor device number", get: func(r *R) cell { return deviceMajMin(get(r)) }},
	}
}

// DevNameStyle selects how dmsetup ls names a device between parentheses
// (its -o devno|blkdevname|devname option).
type DevNameStyle int

// The ways dmsetup ls shows a device.
const (
	DevNo      DevNameStyle = iota // major and minor number, "(253:0)" (the default)
	BlkDevName                     // kernel block device name, "(dm-0)"
	DevName                        // device-mapper name, "(pool)"
)

// ListStyle selects the dmsetup form of List.
type ListStyle struct {
	// Names selects the parenthesised part of each line (ls -o).
	Names DevNameStyle
	// Target is the target type of `ls --target TYPE`. The caller passes only
	// the devices whose table has such a target; dmsetup then prints
	// "%s\t(%u, %u)\n" instead, ignores Names, and prints nothing when no
	// device matched. (With no device at all dmsetup still prints "No devices
	// found"; pass an empty Target in that case.)
	Target string
}

// ListRecord is one device of ls.
type ListRecord struct {
	Device
	EventNr uint32 `json:"event_nr" doc:"the device's event counter"`
}

// ListRecordOf returns the ListRecord of a DM_LIST_DEVICES entry.
func ListRecordOf(e dmctl.NameEntry) ListRecord {
	return ListRecord{Device: DeviceOf(e.Name, e.UUID, e.Dev), EventNr: e.EventNr}
}

// ListTable is the table of ls.
var ListTable TableView = listTable

var listTable = &table[ListRecord]{what: "ls", cols: append(deviceColumns(func(r *ListRecord) *Device { return &r.Device }),
	column[ListRecord]{name: "UUID", about: "device-mapper uuid", get: func(r *ListRecord) cell { return deviceUUID(&r.Device) }},
	column[ListRecord]{name: "EVENT", right: true, extra: true, about: "event counter", get: func(r *ListRecord) cell { return unsigned(uint64(r.EventNr)) }},
	column[ListRecord]{name: "MAJ", right: true, extra: true, about: "major number", get: func(r *ListRecord) cell { return deviceMajor(&r.Device) }},
	column[ListRecord]{name: "MIN", right: true, extra: true, about: "minor number", get: func(r *ListRecord) cell { return deviceMinor(&r.Device) }},
	column[ListRecord]{name: "KNAME", extra: true, about: "kernel block device name, dm-N", get: func(r *ListRecord) cell { return deviceBlkName(&r.Device) }},
)}

// List prints the devices of a DM_LIST_DEVICES reply (dmsetup ls) in the
// order given, which for dmsetup is the kernel's: dmsetup does not sort.
// Dmsetup prints "%s\t(%d:%d)\n" per device (_display_name in dmsetup.c),
// "%s\t(%u, %u)\n" for ls --target (_display_dev via _status), and "No
// devices found" for an empty list (_process_all).
func List(out Output, recs []ListRecord, style ListStyle) error {
	k, err := out.Kind.resolve("list")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		return writeJSON(out.W, "list", nonNil(recs))
	case Dmsetup:
		var b bytes.Buffer
		if len(recs) == 0 && style.Target == "" {
			b.WriteString(noDevices)
		}
		for _, e := range recs {
			switch {
			case style.Target != "":
				fmt.Fprintf(&b, "%s\t(%d, %d)\n", e.Name, e.Major, e.Minor)
			case style.Names == BlkDevName:
				fmt.Fprintf(&b, "%s\t(dm-%d)\n", e.Name, e.Minor)
			case style.Names == DevName:
				fmt.Fprintf(&b, "%s\t(%s)\n", e.Name, e.Name)
			default:
				fmt.Fprintf(&b, "%s\t(%d:%d)\n", e.Name, e.Major, e.Minor)
			}
		}
		return flush(out.W, "list", &b)
	}
	return listTable.write(out, recs)
}

// nonNil returns s, or an empty slice for nil, so that JSON prints [] and
// never null for an empty list.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
