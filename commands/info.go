//go:build linux

package commands

import (
	"fmt"

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
			"With NAMEs (or -u, or -j and -m), or --output dmsetup, it prints devices' state as dmsetup info does " +
			"(all devices when none is named). -c prints dmsetup info -c's report, byte for byte, and takes " +
			"dmsetup's -o FIELDS, --noheadings, --separator and --nameprefixes; -o help lists the fields.\n\n" +
			"Examples:\n" +
			"  dmctl info\n" +
			"  dmctl info -c\n" +
			"  dmctl info -c -o name,attr,uuid --noheadings --separator :\n" +
			"  dmctl info -u LVM-0123 --output json",
		Flags: withFlags([]cli.Flag{
			&cli.BoolFlag{Name: "columns", Aliases: []string{"c"}, Usage: "one line a device, dmsetup info -c's report"},
			&cli.BoolFlag{Name: "nameprefixes", Usage: "with -c: print each field as DM_FIELD='VALUE'"},
			storageOptFlag(),
		}, tableFlags(), selectFlags()),
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
			columns := c.Bool("columns")
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			if columns && out.Table.Columns == "help" {
				return format.WriteReportFields(out.W)
			}
			var needDeps, needUsers bool
			switch {
			case columns:
				if needDeps, needUsers, err = format.ReportNeeds(out.Table.Columns); err != nil {
					return usagef("%v", err)
				}
			case out.Kind == format.Table:
				if err := format.InfoTable.CheckColumns(out.Table.Columns); err != nil {
					return usagef("%v", err)
				}
			}
			if c.Bool("nameprefixes") && !columns {
				return usagef("info: --nameprefixes goes with -c")
			}
			if len(args) == 0 && !selected && out.Kind != format.Dmsetup && !columns {
				if out.Table != (format.TableOptions{}) {
					return usagef("info: -o, --noheadings, --separator and --bytes apply to devices (NAME or -c)")
				}
				return poolInfo(c, out)
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
					if !columns {
						return format.Info(out, recs)
					}
					reps, err := reportDevices(ctl, recs, needDeps, needUsers)
					if err != nil {
						return err
					}
					return format.InfoColumns(out, reps, c.Bool("nameprefixes"))
				})
			})
		},
	}
}

// infoRecord is what info and wait print of a device: its state and its
// read-ahead, when sysfs tells it.
func infoRecord(info dmctl.DeviceInfo) format.InfoRecord {
	var ra *uint32
	if v, err := dmctl.ReadAhead(info.Dev); err == nil {
		ra = &v
	}
	return format.InfoRecordOf(info, ra)
}

// reportDevices adds to devices' state what info -c's fields need: their
// kernel names and, when asked, what each uses and what uses it (which
// takes every device's dependencies, in the kernel's list order).
func reportDevices(ctl *dmctl.Control, recs []format.InfoRecord, deps, users bool) ([]format.ReportDevice, error) {
	out := make([]format.ReportDevice, len(recs))
	for i, r := range recs {
		dev := dmctl.MakeDev(r.Major, r.Minor)
		out[i] = format.ReportDevice{InfoRecord: r, BlkDevName: blockName(dev)}
	}
	if !deps && !users {
		return out, nil
	}
	names := map[dmctl.Dev]string{}
	depsOf := map[dmctl.Dev][]dmctl.Dev{}
	var order []dmctl.Dev
	gather := func(name string) error {
		info, ds, err := ctl.Deps(name)
		if err != nil {
			return err
		}
		names[info.Dev] = info.Name
		depsOf[info.Dev] = ds
		order = append(order, info.Dev)
		return nil
	}
	if users {
		all, err := ctl.List(dmctl.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, e := range all {
			_ = gather(e.Name) // a device removed meanwhile uses nothing
		}
	}
	dep := func(d dmctl.Dev) format.ReportDep {
		name, ok := names[d]
		if !ok {
			if info, err := ctl.InfoByDev(d); err == nil {
				name = info.Name
			}
		}
		return format.ReportDep{Major: d.Major(), Minor: d.Minor(), Name: name, BlkName: blockName(d)}
	}
	usersOf := map[dmctl.Dev][]dmctl.Dev{}
	for _, u := range order {
		for _, d := range depsOf[u] {
			usersOf[d] = append(usersOf[d], u)
		}
	}
	for i := range out {
		dev := dmctl.MakeDev(out[i].Major, out[i].Minor)
		if _, ok := depsOf[dev]; !ok {
			if err := gather(out[i].Name); err != nil {
				return nil, err
			}
		}
		for _, d := range depsOf[dev] {
			out[i].Deps = append(out[i].Deps, dep(d))
		}
		for _, u := range usersOf[dev] {
			out[i].UsedBy = append(out[i].UsedBy, dep(u))
		}
	}
	return out, nil
}

// blockName returns a device's kernel name, dm-N for a device-mapper
// device whose sysfs entry is not found.
func blockName(dev dmctl.Dev) string {
	if n := dmctl.BlockName(dev); n != "" {
		return n
	}
	return fmt.Sprintf("dm-%d", dev.Minor())
}
