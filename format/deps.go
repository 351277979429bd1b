package format

import (
	"bytes"
	"fmt"
	"strings"
)

// DepsRecord is one device of deps: the devices its live table uses
// (DM_TABLE_DEPS).
type DepsRecord struct {
	Device
	Dependencies []Dependency `json:"dependencies" doc:"the devices the live table uses, in the kernel's order"`
}

// Dependency is a device another one uses.
type Dependency struct {
	Major uint32    `json:"major" doc:"major number"`
	Minor uint32    `json:"minor" doc:"minor number"`
	Name  OptString `json:"name" doc:"its device-mapper name, else its kernel name (loop0, sdb); null when unknown"`
}

// DepsTable is the table of deps.
var DepsTable TableView = depsTable

var depsTable = &table[DepsRecord]{what: "deps", cols: append(deviceColumns(func(r *DepsRecord) *Device { return &r.Device }),
	column[DepsRecord]{name: "COUNT", right: true, about: "how many devices the table uses", get: func(r *DepsRecord) cell { return unsigned(uint64(len(r.Dependencies))) }},
	column[DepsRecord]{name: "DEPENDENCIES", about: "the devices used, NAME(MAJ:MIN), comma-separated", get: func(r *DepsRecord) cell {
		list := make([]string, len(r.Dependencies))
		for j, d := range r.Dependencies {
			list[j] = d.majMin()
			if d.Name != "" {
				list[j] = string(d.Name) + "(" + d.majMin() + ")"
			}
		}
		return text(strings.Join(list, ","))
	}},
	column[DepsRecord]{name: "UUID", extra: true, about: "device-mapper uuid", get: func(r *DepsRecord) cell { return deviceUUID(&r.Device) }},
)}

func (d *Dependency) majMin() string { return devNo(d.Major, d.Minor) }

// Deps prints the devices each device uses. Dmsetup prints what dmsetup
// deps prints (_deps in dmsetup.c): "%d dependencies\t:" then " (%d, %d)"
// per dependency, or " (%s)" with its name under opts.DepNames when one is
// given, and a newline; prefixed with "NAME: " under opts.WithNames; an
// empty list prints "No devices found".
func Deps(out Output, recs []DepsRecord, opts TargetsOptions) error {
	k, err := out.Kind.resolve("deps")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		js := make([]DepsRecord, len(recs))
		for i, r := range recs {
			r.Dependencies = nonNil(r.Dependencies)
			js[i] = r
		}
		return writeJSON(out.W, "deps", js)
	case Dmsetup:
		var b bytes.Buffer
		if len(recs) == 0 {
			b.WriteString(noDevices)
		}
		for i := range recs {
			d := &recs[i]
			if opts.WithNames {
				b.WriteString(d.Name + ": ")
			}
			fmt.Fprintf(&b, "%d dependencies\t:", len(d.Dependencies))
			for _, dep := range d.Dependencies {
				if opts.DepNames && dep.Name != "" {
					fmt.Fprintf(&b, " (%s)", dep.Name)
				} else {
					fmt.Fprintf(&b, " (%d, %d)", dep.Major, dep.Minor)
				}
			}
			b.WriteByte('\n')
		}
		return flush(out.W, "deps", &b)
	}
	return depsTable.write(out, recs)
}
