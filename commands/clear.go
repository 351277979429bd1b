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
			args, err := exactArgs(c, 1, "NAME")
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				_, err := ctl.ClearTable(args[0])
				return err
			})
		},
	}
}
