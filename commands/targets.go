package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func targetsCommand() *cli.Command {
	return &cli.Command{
		Name:  "targets",
		Usage: "list the target types the kernel has registered",
		Action: func(c *cli.Context) error {
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				v, err := ctl.TargetVersions()
				if err != nil {
					return err
				}
				return format.Targets(c.App.Writer, kind, v)
			})
		},
	}
}
