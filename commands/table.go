//go:build linux

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
		Description: "Crypt and integrity keys are printed as zeros unless --showkeys, as dmsetup does. " +
			"--concise prints dmsetup table --concise's one-line form (with --output dmsetup or table).\n\n" +
			"Examples:\n" +
			"  dmctl table POOL\n" +
			"  dmctl --output dmsetup table --concise\n" +
			"  dmctl table --target thin -o name,params --noheadings --separator ';'",
		Flags: withFlags([]cli.Flag{
			&cli.BoolFlag{Name: "inactive", Usage: "print the inactive table instead of the live one"},
			&cli.StringFlag{Name: "target", Usage: "only targets of this `TYPE`"},
			&cli.BoolFlag{Name: "concise", Usage: "all devices on one line, as dmsetup table --concise"},
			&cli.BoolFlag{Name: "showkeys", Usage: "print crypt and integrity keys"},
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
			out, err := tableOutput(c, format.TablesTable)
			if err != nil {
				return err
			}
			concise := c.Bool("concise")
			if concise && out.Kind == format.Table {
				out.Kind = format.Dmsetup // --concise is dmsetup's own form
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
				opts := dmctl.StatusOptions{Inactive: c.Bool("inactive")}
				recs := make([]format.TableRecord, 0, len(names))
				err = forEach(names, skipVanished(all, func(name string) error {
					info, targets, err := ctl.Table(name, opts)
					if err != nil {
						return err
					}
					r := format.TableRecord{Device: format.DeviceOf(name, info.UUID, info.Dev), ReadOnly: info.ReadOnly()}
					for _, t := range targets {
						r.Targets = append(r.Targets, format.TableTarget{StartSector: t.Start, LengthSectors: t.Length, Type: t.Type, Params: t.Params})
					}
					recs = append(recs, r)
					return nil
				}))
				return renderGathered(len(recs), err, func() error {
					return format.Tables(out, recs, format.TargetsOptions{WithNames: all || len(names) > 1,
						Target: c.String("target"), ShowKeys: c.Bool("showkeys"), Concise: concise})
				})
			})
		},
	}
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
