package format

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// DeviceDeps is one device's dependencies: the devices its live table
// uses (DM_TABLE_DEPS).
type DeviceDeps struct {
	Name     string
	Deps     []dmctl.Dev
	DepNames []string // optional, parallel to Deps: a name per dependency ("" if unknown)
}

// depJSON is the JSON form of one dependency.
type depJSON struct {
	Major uint32 `json:"major"`
	Minor uint32 `json:"minor"`
	Name  string `json:"name"`
}

// deviceDepsJSON is the JSON form of a DeviceDeps.
type deviceDepsJSON struct {
	Name  string    `json:"name"`
	Count int       `json:"count"`
	Deps  []depJSON `json:"dependencies"`
}

// depName returns the name given for dependency i, or "".
func (d *DeviceDeps) depName(i int) string {
	if i < len(d.DepNames) {
		return d.DepNames[i]
	}
	return ""
}

// Deps prints the devices each device uses. Dmsetup prints what dmsetup
// deps prints (_deps in dmsetup.c): "%d dependencies\t:" then " (%d, %d)"
// per dependency, or " (%s)" with its name under opts.DepNames when one is
// given, and a newline; prefixed with "NAME: " under opts.WithNames; an
// empty list prints "No devices found".
func Deps(w io.Writer, k Kind, devs []DeviceDeps, opts TargetsOptions) error {
	k, err := k.resolve("deps")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		out := make([]deviceDepsJSON, len(devs))
		for i := range devs {
			d := &devs[i]
			deps := make([]depJSON, len(d.Deps))
			for j, dev := range d.Deps {
				deps[j] = depJSON{Major: dev.Major(), Minor: dev.Minor(), Name: d.depName(j)}
			}
			out[i] = deviceDepsJSON{Name: d.Name, Count: len(d.Deps), Deps: deps}
		}
		return writeJSON(w, "deps", out)
	case Dmsetup:
		var b bytes.Buffer
		if len(devs) == 0 {
			b.WriteString(noDevices)
		}
		for i := range devs {
			d := &devs[i]
			if opts.WithNames {
				b.WriteString(d.Name + ": ")
			}
			fmt.Fprintf(&b, "%d dependencies\t:", len(d.Deps))
			for j, dev := range d.Deps {
				if n := d.depName(j); opts.DepNames && n != "" {
					fmt.Fprintf(&b, " (%s)", n)
				} else {
					fmt.Fprintf(&b, " (%d, %d)", dev.Major(), dev.Minor())
				}
			}
			b.WriteByte('\n')
		}
		return flush(w, "deps", &b)
	}
	rows := make([][]string, len(devs))
	for i := range devs {
		d := &devs[i]
		list := make([]string, len(d.Deps))
		for j, dev := range d.Deps {
			list[j] = dev.String()
			if n := d.depName(j); n != "" {
				list[j] = n + " (" + dev.String() + ")"
			}
		}
		rows[i] = []string{d.Name, strconv.Itoa(len(d.Deps)), strings.Join(list, ", ")}
	}
	cols := []column{{heading: "NAME"}, {heading: "COUNT", right: true}, {heading: "DEPENDENCIES"}}
	return writeTable(w, "deps", cols, rows)
}
