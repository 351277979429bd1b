//go:build linux

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
		Description: "Examples:\n" +
			"  dmctl rename old new\n" +
			"  dmctl rename dev --setuuid DMCTL-dev",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "setuuid", Usage: "set the device's `UUID` (only a device without one)"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 1, 2, "NAME NEW_NAME | NAME --setuuid UUID")
			if err != nil {
				return err
			}
			if err := checkNames(c, args...); err != nil {
				return err
			}
			if c.IsSet("setuuid") {
				if len(args) != 1 {
					return usagef("rename: want NAME --setuuid UUID")
				}
				uuid := c.String("setuuid")
				if err := dmctl.ValidateUUID(uuid); err != nil || uuid == "" {
					return usagef("rename: --setuuid: want 1 to %d bytes", dmctl.MaxUUIDLen)
				}
				return withControl(func(ctl *dmctl.Control) error {
					return ctl.SetUUID(args[0], uuid)
				})
			}
			if len(args) != 2 {
				return usagef("rename: want NAME NEW_NAME")
			}
			return withControl(func(ctl *dmctl.Control) error {
				return ctl.Rename(args[0], args[1])
			})
		},
	}
}
