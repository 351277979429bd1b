//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func depsCommand() *cli.Command {
	return &cli.Command{
		Name:      "deps",
		Usage:     "print the devices each device's table uses",
		ArgsUsage: "[NAME...]",
		Description: "With --output dmsetup, -o takes dmsetup deps's devno, devname or blkdevname; otherwise " +
			"it selects the table's columns.\n\n" +
			"Examples:\n" +
			"  dmctl deps POOL\n" +
			"  dmctl --output dmsetup deps -o blkdevname POOL",
		Flags: withFlags(tableFlags(), selectFlags()),
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 0, -1, "[NAME...]")
			if err != nil {
				return err
			}
			if err := checkNames(c, args...); err != nil {
				return err
			}
			sel, selected, err := deviceSelection(c, args)
			if err != nil {
				return err
			}
			out, err := tableOutput(c, format.DepsTable)
			if err != nil {
				return err
			}
			// dmsetup deps -o: how each dependency is named.
			depNames, blkNames := false, false
			if out.Kind == format.Dmsetup {
				switch o := out.Table.Columns; o {
				case "", "devno":
				case "devname":
					depNames = true
				case "blkdevname":
					depNames, blkNames = true, true
				default:
					return usagef("deps: -o %q: dmsetup deps takes devno, devname or blkdevname", o)
				}
			}
			return withControl(func(ctl *dmctl.Control) error {
				if selected {
					name, err := sel.name(ctl)
					if err != nil {
						return err
					}
					args = []string{name}
				}
				names, all, err := deviceNames(args, ctl)
				if err != nil {
					return err
				}
				var recs []format.DepsRecord
				err = forEach(names, skipVanished(all, func(name string) error {
					info, deps, err := ctl.Deps(name)
					if err != nil {
						return err
					}
					r := format.DepsRecord{Device: format.DeviceOf(name, info.UUID, info.Dev), Dependencies: []format.Dependency{}}
					for _, dev := range deps {
						n := devName(ctl, dev)
						if blkNames {
							n = dmctl.BlockName(dev)
						}
						r.Dependencies = append(r.Dependencies, format.Dependency{Major: dev.Major(), Minor: dev.Minor(), Name: format.OptString(n)})
					}
					recs = append(recs, r)
					return nil
				}))
				return renderGathered(len(recs), err, func() error {
					return format.Deps(out, recs, format.TargetsOptions{WithNames: all || len(names) > 1, DepNames: depNames})
				})
			})
		},
	}
}

// devName names a device number: its dm name, else its kernel name; ""
// when neither is known.
func devName(ctl *dmctl.Control, dev dmctl.Dev) string {
	if info, err := ctl.InfoByDev(dev); err == nil && info.Name != "" {
		return info.Name
	}
	return dmctl.BlockName(dev)
}
