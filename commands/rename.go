package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func renameCommand() *cli.Command {
	return &cli.Command{
		Name:      "rename",
		Usage:     "rename a device, or set its uuid",
		ArgsUsage: "NAME NEW_NAME | NAME --setuuid UUID",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "setuuid", Usage: "set the device's uuid (only a device without one)"},
		},
		Action: func(c *cli.Context) error {
			if c.IsSet("setuuid") {
				if err := exactArgs(c, 1, "NAME --setuuid UUID"); err != nil {
					return err
				}
				return withControl(func(ctl *dmctl.Control) error {
					return ctl.SetUUID(c.Args().First(), c.String("setuuid"))
				})
			}
			if err := exactArgs(c, 2, "NAME NEW_NAME"); err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				return ctl.Rename(c.Args().Get(0), c.Args().Get(1))
			})
		},
	}
}
