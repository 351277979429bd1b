package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func clearCommand() *cli.Command {
	return &cli.Command{
		Name:      "clear",
		Usage:     "drop a device's inactive table",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			if err := exactArgs(c, 1, "NAME"); err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				_, err := ctl.ClearTable(c.Args().First())
				return err
			})
		},
	}
}
