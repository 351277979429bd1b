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
				names, _, err := deviceNames(args, ctl)
				if err != nil {
					return err
				}
				var recs []format.InfoRecord
				err = forEach(names, func(name string) error {
					info, err := ctl.Info(name)
					if err != nil {
						return err
					}
					rec := format.InfoRecord{DeviceInfo: info}
					rec.ReadAhead, err = dmctl.ReadAhead(info.Dev)
					rec.ReadAheadUnknown = err != nil
					recs = append(recs, rec)
					return nil
				})
				if len(recs) > 0 || err == nil {
					var ferr error
					if c.Bool("columns") {
						ferr = format.InfoColumns(c.App.Writer, kind, recs)
					} else {
						ferr = format.Info(c.App.Writer, kind, recs)
					}
					if ferr != nil {
						return ferr
					}
				}
				return err
			})
		},
	}
}
