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
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "noflush", Usage: "do not flush outstanding I/O"},
			&cli.BoolFlag{Name: "nolockfs", Usage: "do not freeze the filesystem"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 1, -1, "NAME...")
			if err != nil {
				return err
			}
			opts := dmctl.SuspendOptions{NoFlush: c.Bool("noflush"), NoLockFS: c.Bool("nolockfs")}
			return withControl(func(ctl *dmctl.Control) error {
				return forEach(args, func(name string) error {
					_, err := ctl.Suspend(name, opts)
					return err
				})
			})
		},
	}
}
