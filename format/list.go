package format

import (
	"bytes"
	"fmt"
	"io"

	"github.com/dmctl/dmctl/dmctl"
)

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

// listJSON is the JSON form of a dmctl.NameEntry.
type listJSON struct {
	Name    string `json:"name"`
	Major   uint32 `json:"major"`
	Minor   uint32 `json:"minor"`
	UUID    string `json:"uuid"`
	EventNr uint32 `json:"event_nr"`
}

// List prints the devices of a DM_LIST_DEVICES reply (dmsetup ls) in the
// order given, which for dmsetup is the kernel's: dmsetup does not sort.
// Dmsetup prints "%s\t(%d:%d)\n" per device (_display_name in dmsetup.c),
// "%s\t(%u, %u)\n" for ls --target (_display_dev via _status), and "No
// devices found" for an empty list (_process_all).
func List(w io.Writer, k Kind, entries []dmctl.NameEntry, style ListStyle) error {
	k, err := k.resolve("list")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		out := make([]listJSON, len(entries))
		for i, e := range entries {
			out[i] = listJSON{Name: e.Name, Major: e.Dev.Major(), Minor: e.Dev.Minor(), UUID: e.UUID, EventNr: e.EventNr}
		}
		return writeJSON(w, "list", out)
	case Dmsetup:
		var b bytes.Buffer
		if len(entries) == 0 && style.Target == "" {
			b.WriteString(noDevices)
		}
		for _, e := range entries {
			switch {
			case style.Target != "":
				fmt.Fprintf(&b, "%s\t(%d, %d)\n", e.Name, e.Dev.Major(), e.Dev.Minor())
			case style.Names == BlkDevName:
				fmt.Fprintf(&b, "%s\t(dm-%d)\n", e.Name, e.Dev.Minor())
			case style.Names == DevName:
				fmt.Fprintf(&b, "%s\t(%s)\n", e.Name, e.Name)
			default:
				fmt.Fprintf(&b, "%s\t(%d:%d)\n", e.Name, e.Dev.Major(), e.Dev.Minor())
			}
		}
		return flush(w, "list", &b)
	}
	rows := make([][]string, len(entries))
	for i, e := range entries {
		rows[i] = []string{e.Name, e.Dev.String(), e.UUID}
	}
	cols := []column{{heading: "NAME"}, {heading: "MAJ:MIN", right: true}, {heading: "UUID"}}
	return writeTable(w, "list", cols, rows)
}
