package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:      "info",
		Usage:     "print the pool report (no NAME), or devices' state as dmsetup info does",
		ArgsUsage: "[NAME...]",
		Description: "With no NAME, and --output table or json, info prints the pool of --root as " +
			"`docker info` printed its devicemapper section, followed by dmctl's own keys. " +
			"With NAMEs, -c or --output dmsetup, it prints devices' state as dmsetup info does " +
			"(all devices when none is named).",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "columns", Aliases: []string{"c"}, Usage: "one line a device, in columns (dmsetup info -c)"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 0, -1, "[NAME...]")
			if err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			if len(args) == 0 && kind != format.Dmsetup && !c.Bool("columns") {
				return poolInfo(c, kind)
			}
			return withControl(func(ctl *dmctl.Control) error {
				names, all, err := deviceNames(args, ctl)
				if err != nil {
					return err
				}
				var recs []format.InfoRecord
				err = forEach(names, skipVanished(all, func(name string) error {
					info, err := ctl.Info(name)
					if err != nil {
						return err
					}
					recs = append(recs, infoRecord(info))
					return nil
				}))
				return renderGathered(len(recs), err, func() error {
					if c.Bool("columns") {
						return format.InfoColumns(c.App.Writer, kind, recs)
					}
					return format.Info(c.App.Writer, kind, recs)
				})
			})
		},
	}
}

// infoRecord is what info and wait print of a device: its state and its
// read-ahead, when sysfs tells it.
func infoRecord(info dmctl.DeviceInfo) format.InfoRecord {
	rec := format.InfoRecord{DeviceInfo: info}
	var err error
	rec.ReadAhead, err = dmctl.ReadAhead(info.Dev)
	rec.ReadAheadUnknown = err != nil
	return rec
}
