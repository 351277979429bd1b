//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func suspendCommand() *cli.Command {
	return &cli.Command{
		Name:      "suspend",
		Usage:     "suspend devices: I/O waits until they are resumed",
		ArgsUsage: "NAME...",
		Description: "Examples:\n" +
			"  dmctl suspend lin\n" +
			"  dmctl suspend --noflush --nolockfs lin",
		Flags: withFlags([]cli.Flag{
			&cli.BoolFlag{Name: "noflush", Usage: "do not flush outstanding I/O"},
			&cli.BoolFlag{Name: "nolockfs", Usage: "do not freeze the filesystem"},
		}, selectFlags()),
		Action: func(c *cli.Context) error {
			opts := dmctl.SuspendOptions{NoFlush: c.Bool("noflush"), NoLockFS: c.Bool("nolockfs")}
			return forDevices(c, func(ctl *dmctl.Control, name string) error {
				_, err := ctl.Suspend(name, opts)
				return err
			})
		},
	}
}
