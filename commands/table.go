package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func tableCommand() *cli.Command {
	return &cli.Command{
		Name:      "table",
		Usage:     "print devices' tables",
		ArgsUsage: "[NAME...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "inactive", Usage: "print the inactive table instead of the live one"},
			&cli.StringFlag{Name: "target", Usage: "only targets of this type"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 0, -1, "[NAME...]")
			if err != nil {
				return err
			}
			return readTargets(c, args, "table")
		},
	}
}

// readTargets implements table and the dmsetup form of status: the live
// (or inactive) table or status of each device.
func readTargets(c *cli.Context, args []string, what string) error {
	kind, err := outputKind(c)
	if err != nil {
		return err
	}
	opts := dmctl.StatusOptions{Inactive: c.Bool("inactive"), NoFlush: c.Bool("noflush")}
	return withControl(func(ctl *dmctl.Control) error {
		names, all, err := deviceNames(args, ctl)
		if err != nil {
			return err
		}
		devs := make([]format.DeviceTargets, 0, len(names))
		err = forEach(names, skipVanished(all, func(name string) error {
			var info dmctl.DeviceInfo
			var targets []dmctl.Target
			var err error
			if what == "table" {
				info, targets, err = ctl.Table(name, opts)
			} else {
				info, targets, err = ctl.Status(name, opts)
			}
			if err != nil {
				return err
			}
			devs = append(devs, format.DeviceTargets{Name: name, Info: info, Targets: targets})
			return nil
		}))
		return renderGathered(len(devs), err, func() error {
			so := format.TargetsOptions{WithNames: all || len(names) > 1, Target: c.String("target")}
			if what == "table" {
				return format.Tables(c.App.Writer, kind, devs, so)
			}
			return format.Status(c.App.Writer, kind, devs, so)
		})
	})
}

func filterTargets(targets []dmctl.Target, typ string) []dmctl.Target {
	if typ == "" {
		return targets
	}
	var out []dmctl.Target
	for _, t := range targets {
		if t.Type == typ {
			out = append(out, t)
		}
	}
	return out
}
