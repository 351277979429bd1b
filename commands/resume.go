package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func resumeCommand() *cli.Command {
	return &cli.Command{
		Name:      "resume",
		Usage:     "resume devices, making a loaded inactive table live",
		ArgsUsage: "NAME...",
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 1, -1, "NAME...")
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				return forEach(args, func(name string) error {
					_, err := ctl.Resume(name)
					return err
				})
			})
		},
	}
}
