package format

import (
	"bytes"
	"fmt"

	"github.com/dmctl/dmctl/dmctl"
)

// TargetRecord is one target type the kernel has registered.
type TargetRecord struct {
	Name    string `json:"name" doc:"target type"`
	Version string `json:"version" doc:"its version, MAJOR.MINOR.PATCH"`
}

// TargetRecordOf returns the TargetRecord of a DM_LIST_VERSIONS entry.
func TargetRecordOf(t dmctl.TargetVersion) TargetRecord {
	return TargetRecord{Name: t.Name, Version: t.Version.String()}
}

// TargetsTable is the table of targets.
var TargetsTable TableView = targetsTable

var targetsTable = &table[TargetRecord]{what: "targets", cols: []column[TargetRecord]{
	{name: "NAME", about: "target type", get: func(r *TargetRecord) cell { return text(r.Name) }},
	{name: "VERSION", about: "its version", get: func(r *TargetRecord) cell { return text(r.Version) }},
}}

// Targets prints the target types registered with the kernel, in the
// order given. Dmsetup prints "%-16s v%s\n" per target (_targets in
// dmsetup.c).
func Targets(out Output, recs []TargetRecord) error {
	k, err := out.Kind.resolve("targets")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		return writeJSON(out.W, "targets", nonNil(recs))
	case Dmsetup:
		var b bytes.Buffer
		for _, t := range recs {
			fmt.Fprintf(&b, "%-16s v%s\n", t.Name, t.Version)
		}
		return flush(out.W, "targets", &b)
	}
	return targetsTable.write(out, recs)
}
