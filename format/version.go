package format

import (
	"bytes"
	"fmt"
	"io"

	"github.com/dmctl/dmctl/dmctl"
)

// VersionInfo is what `version` reports.
type VersionInfo struct {
	Tool   string        // the tool and its version, e.g. "dmctl 0.1.0 (pure-Go ioctl)"
	Driver dmctl.Version // the kernel's device-mapper ioctl interface version
}

// versionJSON is the JSON form of VersionInfo.
type versionJSON struct {
	Tool          string `json:"tool"`
	DriverVersion string `json:"driver_version"`
}

// Version prints the tool's version and the kernel driver's. Table and
// Dmsetup print dmsetup's two lines (_version in dmsetup.c), the library
// line naming the tool: "Library version:   %s\nDriver version:    %s\n".
func Version(w io.Writer, k Kind, v VersionInfo) error {
	k, err := k.resolve("version")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(w, "version", versionJSON{Tool: v.Tool, DriverVersion: v.Driver.String()})
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Library version:   %s\n", v.Tool)
	fmt.Fprintf(&b, "Driver version:    %s\n", v.Driver)
	return flush(w, "version", &b)
}
