//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func mknodesCommand() *cli.Command {
	return &cli.Command{
		Name:      "mknodes",
		Usage:     "make /dev/mapper right: create missing nodes, remove stale ones",
		ArgsUsage: "[NAME...]",
		Description: "Examples:\n" +
			"  dmctl mknodes\n" +
			"  dmctl mknodes lin",
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 0, -1, "[NAME...]")
			if err != nil {
				return err
			}
			if err := checkNames(c, args...); err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				if len(args) == 0 {
					return ctl.MakeNodes()
				}
				return forEach(args, ctl.MakeNode)
			})
		},
	}
}
