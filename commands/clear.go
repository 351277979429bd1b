//go:build linux

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
		Description: "Examples:\n" +
			"  dmctl load lin --table '0 8 zero' && dmctl clear lin",
		Flags: selectFlags(),
		Action: func(c *cli.Context) error {
			return withOneDevice(c, 0, 0, "NAME", func([]string) (deviceAction, error) {
				return func(ctl *dmctl.Control, name string) error {
					_, err := ctl.ClearTable(name)
					return err
				}, nil
			})
		},
	}
}
