package format

import (
	"bytes"
	"fmt"
)

// VersionRecord is what version reports.
type VersionRecord struct {
	DmctlVersion string `json:"dmctl_version" doc:"dmctl's version: a release tag, a module version or a VCS revision"`
	// LibraryVersion is what dmctl prints where dmsetup names
	// libdevmapper: "dmctl VERSION (pure-Go ioctl)".
	LibraryVersion string    `json:"library_version" doc:"what dmctl reports where dmsetup and docker info name libdevmapper's version"`
	DriverVersion  OptString `json:"driver_version" doc:"the kernel's device-mapper ioctl interface version; null when the kernel could not be asked"`
}

// Version prints dmctl's version and the kernel driver's. Table and
// Dmsetup print dmsetup's two lines (_version in dmsetup.c), the library
// line naming dmctl: "Library version:   %s\nDriver version:    %s\n"; the
// driver line only when it is known.
func Version(out Output, v VersionRecord) error {
	k, err := out.Kind.resolve("version")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "version", v)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Library version:   %s\n", v.LibraryVersion)
	if v.DriverVersion != "" {
		fmt.Fprintf(&b, "Driver version:    %s\n", v.DriverVersion)
	}
	return flush(out.W, "version", &b)
}
