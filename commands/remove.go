//go:build linux

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
		Description: "--force first replaces a device's table with one that fails all I/O (resumed without " +
			"flushing), as dmsetup remove --force does, so that whoever still has it open gets errors " +
			"instead of hanging.\n\n" +
			"Examples:\n" +
			"  dmctl remove lin\n" +
			"  dmctl remove --retry -f stuck\n" +
			"  dmctl remove -u LVM-0123",
		Flags: withFlags([]cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "if the device is open, remove it when its last user closes it"},
			&cli.BoolFlag{Name: "retry", Usage: "retry for a few seconds while the device is busy"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "make the device fail all I/O first, then remove it"},
		}, selectFlags()),
		Action: func(c *cli.Context) error {
			opts := dmctl.RemoveOptions{Deferred: c.Bool("deferred"), Retry: c.Bool("retry"), Force: c.Bool("force")}
			return forDevices(c, func(ctl *dmctl.Control, name string) error {
				_, err := ctl.Remove(name, opts)
				return err
			})
		},
	}
}

func removeAllCommand() *cli.Command {
	return &cli.Command{
		Name:  "remove_all",
		Usage: "remove every device that is not in use",
		Description: "Examples:\n" +
			"  dmctl remove_all\n" +
			"  dmctl remove_all --deferred",
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
