//go:build linux

package commands

import (
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

// version is dmctl's version when the build sets it (make build:
// -ldflags -X with git describe); otherwise dmctlVersion reads it from the
// build information.
var version string

// dmctlVersion returns dmctl's version: the one the build set, else the
// module version go install recorded, else the VCS revision go build
// stamped (with -dirty for a modified tree), else "devel".
func dmctlVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionFromBuildInfo(info)
}

// versionFromBuildInfo picks the version out of the build information.
func versionFromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return rev
}

// libraryVersion is what dmctl reports where dmsetup and docker info name
// libdevmapper's version.
func libraryVersion() string { return "dmctl " + dmctlVersion() + " (pure-Go ioctl)" }

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print dmctl's version, then the kernel's device-mapper driver (ioctl interface) version",
		Description: "dmctl's own version is printed even where the kernel has no device-mapper; the " +
			"driver version follows when the kernel answers, and otherwise the command fails (exit 1) " +
			"after printing dmctl's version, as dmsetup version does. JSON gives driver_version null then. " +
			"dmctl --version prints dmctl's version alone.\n\n" +
			"Examples:\n" +
			"  dmctl version\n" +
			"  dmctl --version\n" +
			"  dmctl version --output json",
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			v := format.VersionRecord{DmctlVersion: dmctlVersion(), LibraryVersion: libraryVersion()}
			driverErr := withControl(func(ctl *dmctl.Control) error {
				d, err := ctl.Version()
				if err != nil {
					return err
				}
				v.DriverVersion = format.OptString(d.String())
				return nil
			})
			if err := format.Version(out, v); err != nil {
				return err
			}
			if driverErr != nil {
				return fmt.Errorf("driver version: %w", driverErr)
			}
			return nil
		},
	}
}
