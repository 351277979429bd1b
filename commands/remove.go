package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func removeCommand() *cli.Command {
	return &cli.Command{
		Name:      "remove",
		Usage:     "remove devices",
		ArgsUsage: "NAME...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "if the device is open, remove it when its last user closes it"},
			&cli.BoolFlag{Name: "retry", Usage: "retry for a few seconds while the device is busy"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 1, -1, "NAME...")
			if err != nil {
				return err
			}
			opts := dmctl.RemoveOptions{Deferred: c.Bool("deferred"), Retry: c.Bool("retry")}
			return withControl(func(ctl *dmctl.Control) error {
				return forEach(args, func(name string) error {
					_, err := ctl.Remove(name, opts)
					return err
				})
			})
		},
	}
}

func removeAllCommand() *cli.Command {
	return &cli.Command{
		Name:  "remove_all",
		Usage: "remove every device that is not in use",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "schedule open devices for removal at their last close"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				return ctl.RemoveAll(c.Bool("deferred"))
			})
		},
	}
}
