//go:build linux

package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "print devices' target status: parsed for people and programs, raw for dmsetup",
		ArgsUsage: "[NAME...]",
		Description: "With --output table, one line a target: a device with several segments shows each, and " +
			"thin pools show data and metadata used/total and mode, thin devices their mapped bytes. " +
			"--output json gives the same figures parsed; --output dmsetup prints the raw status lines as " +
			"dmsetup status does. Pool status is read without making the pool commit its metadata.\n\n" +
			"Examples:\n" +
			"  dmctl status\n" +
			"  dmctl status POOL -o name,data_used,data_total,data% --bytes --noheadings\n" +
			"  dmctl status --output json | jq '.[] | select(.pool) | .pool.data_used_percent'\n" +
			"  dmctl --output dmsetup status --target thin",
		Flags: withFlags([]cli.Flag{
			&cli.StringFlag{Name: "target", Usage: "only targets of this `TYPE`"},
			&cli.BoolFlag{Name: "inactive", Usage: "the inactive table's status"},
			&cli.BoolFlag{Name: "noflush", Usage: "do not let thin pools commit metadata before reporting (dmsetup output)"},
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
			out, err := tableOutput(c, format.StatusTable)
			if err != nil {
				return err
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
				opts := format.TargetsOptions{WithNames: all || len(names) > 1, Target: c.String("target")}
				if out.Kind == format.Dmsetup || c.Bool("inactive") {
					recs, err := rawStatus(ctl, names, all, dmctl.StatusOptions{Inactive: c.Bool("inactive"), NoFlush: c.Bool("noflush")})
					return renderGathered(len(recs), err, func() error { return format.Status(out, recs, opts) })
				}
				// One read of the mount table for all devices; without it
				// (no /proc) the rows have no mount points.
				mounts, _ := pool.ReadMounts()
				var recs []format.StatusRecord
				err = forEach(names, skipVanished(all, func(name string) error {
					v, err := inspect(ctl, name, inspectOptions{Mounts: mounts})
					if err != nil {
						return err
					}
					if opts.Target != "" && len(filterTargets(v.Table, opts.Target)) == 0 {
						return nil
					}
					recs = append(recs, statusRecord(v))
					return nil
				}))
				return renderGathered(len(recs), err, func() error {
					if err := format.Status(out, recs, opts); err != nil {
						return err
					}
					warnSuspendedPools(c, recs)
					return nil
				})
			})
		},
	}
}

// rawStatus reads devices' status lines as they are, for dmsetup's form
// and for the inactive table.
func rawStatus(ctl *dmctl.Control, names []string, all bool, opts dmctl.StatusOptions) ([]format.StatusRecord, error) {
	recs := make([]format.StatusRecord, 0, len(names))
	err := forEach(names, skipVanished(all, func(name string) error {
		info, targets, err := ctl.Status(name, opts)
		if err != nil {
			return err
		}
		r := format.StatusRecord{Device: format.DeviceOf(name, info.UUID, info.Dev), Suspended: info.Suspended(),
			ReadOnly: info.ReadOnly(), OpenCount: info.OpenCount}
		for _, t := range targets {
			r.Targets = append(r.Targets, format.StatusTarget{StartSector: t.Start, LengthSectors: t.Length, Type: t.Type, Status: t.Params})
			r.SizeBytes += t.Length * 512
		}
		if len(targets) > 0 {
			r.Type = format.OptString(targets[0].Type)
		}
		recs = append(recs, r)
		return nil
	}))
	return recs, err
}

// statusRecord turns what inspect read of a device into its status record.
func statusRecord(v deviceView) format.StatusRecord {
	r := format.StatusRecord{Device: format.DeviceOf(v.Info.Name, v.Info.UUID, v.Info.Dev), Type: format.OptString(v.Type),
		SizeBytes: v.Size, Suspended: v.Info.Suspended(), ReadOnly: v.Info.ReadOnly(), OpenCount: v.Info.OpenCount,
		Mountpoints: v.Mounted}
	for _, t := range v.Status {
		r.Targets = append(r.Targets, format.StatusTarget{StartSector: t.Start, LengthSectors: t.Length, Type: t.Type, Status: t.Params})
	}
	if p := v.Pool; p != nil {
		pu := &format.PoolUsage{TransactionID: p.TransactionID, BlockSizeBytes: p.BlockBytes,
			DataUsedBytes: p.DataUsedBytes, DataTotalBytes: p.DataTotalBytes,
			DataUsedPercent:   format.Percent(p.DataUsedBytes, p.DataTotalBytes),
			MetadataUsedBytes: p.MetaUsedBytes, MetadataTotalBytes: p.MetaTotalBytes,
			MetadataUsedPercent: format.Percent(p.MetaUsedBytes, p.MetaTotalBytes),
			Mode:                p.Mode, Discard: format.OptString(p.DiscardPassdown), ErrorIfNoSpace: p.ErrorIfNoSpace,
			NeedsCheck: p.NeedsCheck, Failed: p.Failed}
		if p.HasHeldRoot {
			root := p.HeldMetadataRoot
			pu.HeldMetadataRoot = &root
		}
		r.Pool = pu
	}
	if t := v.Thin; t != nil {
		tu := &format.ThinUsage{MappedBytes: t.MappedSectors * 512, Failed: t.Failed}
		if t.HasMapped {
			h := t.HighestMappedSector
			tu.HighestMappedSector = &h
		}
		r.Thin = tu
	}
	return r
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// warnSuspendedPools says on standard error which thin pools are
// suspended: all I/O to their thin devices waits until they are resumed,
// which a table row is too quiet about.
func warnSuspendedPools(c *cli.Context, recs []format.StatusRecord) {
	for _, r := range recs {
		if r.Pool != nil && r.Suspended {
			fmt.Fprintf(c.App.ErrWriter, "dmctl: warning: pool %s is SUSPENDED: I/O to its thin devices waits until it is resumed (dmctl resume %s)\n",
				r.Name, r.Name)
		}
	}
}
