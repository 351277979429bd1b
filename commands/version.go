package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print dmctl's version and the kernel's device-mapper ioctl version",
		Action: func(c *cli.Context) error {
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				v, err := ctl.Version()
				if err != nil {
					return err
				}
				return format.Version(c.App.Writer, kind, format.VersionInfo{Tool: toolVersion(), Driver: v})
			})
		},
	}
}

// toolVersion is what dmctl reports where dmsetup names libdevmapper.
func toolVersion() string { return "dmctl " + version + " (pure-Go ioctl)" }
