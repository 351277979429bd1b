package format

import (
	"bytes"
	"fmt"
	"io"

	"github.com/dmctl/dmctl/dmctl"
)

// targetJSON is the JSON form of a dmctl.TargetVersion.
type targetJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Targets prints the target types registered with the kernel, in the
// order given. Dmsetup prints "%-16s v%d.%d.%d\n" per target (_targets in
// dmsetup.c).
func Targets(w io.Writer, k Kind, targets []dmctl.TargetVersion) error {
	k, err := k.resolve("targets")
	if err != nil {
		return err
	}
	switch k {
	case JSON:
		out := make([]targetJSON, len(targets))
		for i, t := range targets {
			out[i] = targetJSON{Name: t.Name, Version: t.Version.String()}
		}
		return writeJSON(w, "targets", out)
	case Dmsetup:
		var b bytes.Buffer
		for _, t := range targets {
			fmt.Fprintf(&b, "%-16s v%d.%d.%d\n", t.Name, t.Version[0], t.Version[1], t.Version[2])
		}
		return flush(w, "targets", &b)
	}
	rows := make([][]string, len(targets))
	for i, t := range targets {
		rows[i] = []string{t.Name, t.Version.String()}
	}
	return writeTable(w, "targets", []column{{heading: "TARGET"}, {heading: "VERSION"}}, rows)
}
