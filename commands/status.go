package commands

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "print devices' target status: parsed for people and programs, raw for dmsetup",
		ArgsUsage: "[NAME...]",
		Description: "With --output table, one row a device: thin pools with data and metadata used/total " +
			"and percent, mode and flags; thin devices with mapped bytes. --output json gives the same " +
			"parsed figures; --output dmsetup prints the raw status lines as dmsetup status does.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "target", Usage: "only targets of this type"},
			&cli.BoolFlag{Name: "inactive", Usage: "the inactive table's status (dmsetup output only)"},
			&cli.BoolFlag{Name: "noflush", Usage: "do not let thin pools commit metadata before reporting"},
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
			if kind == format.Dmsetup {
				return readTargets(c, args, "status")
			}
			return withControl(func(ctl *dmctl.Control) error {
				names, all, err := deviceNames(args, ctl)
				if err != nil {
					return err
				}
				var views []deviceView
				err = forEach(names, skipVanished(all, func(name string) error {
					v, err := inspect(ctl, name)
					if err != nil {
						return err
					}
					if t := c.String("target"); t != "" && len(filterTargets(v.Table, t)) == 0 {
						return nil
					}
					views = append(views, v)
					return nil
				}))
				return renderGathered(len(views), err, func() error { return renderStatus(c, kind, views) })
			})
		},
	}
}

// statusJSON is one device in status --output json.
type statusJSON struct {
	Name        string          `json:"name"`
	UUID        string          `json:"uuid,omitempty"`
	Major       uint32          `json:"major"`
	Minor       uint32          `json:"minor"`
	Type        string          `json:"type"`
	SizeBytes   uint64          `json:"size_bytes"`
	Suspended   bool            `json:"suspended"`
	ReadOnly    bool            `json:"read_only"`
	OpenCount   int32           `json:"open_count"`
	Pool        *poolStatusJSON `json:"pool,omitempty"`
	Thin        *thinStatusJSON `json:"thin,omitempty"`
	Targets     []targetJSON    `json:"targets"`
	Mountpoints []string        `json:"mountpoints,omitempty"`
}

type poolStatusJSON struct {
	TransactionID      uint64  `json:"transaction_id"`
	BlockBytes         uint64  `json:"block_bytes"`
	DataUsedBytes      uint64  `json:"data_used_bytes"`
	DataTotalBytes     uint64  `json:"data_total_bytes"`
	DataUsedPercent    float64 `json:"data_used_percent"`
	MetadataUsedBytes  uint64  `json:"metadata_used_bytes"`
	MetadataTotalBytes uint64  `json:"metadata_total_bytes"`
	MetadataUsedPct    float64 `json:"metadata_used_percent"`
	Mode               string  `json:"mode"`
	Discard            string  `json:"discard,omitempty"`
	ErrorIfNoSpace     bool    `json:"error_if_no_space"`
	NeedsCheck         bool    `json:"needs_check"`
	HeldMetadataRoot   *uint64 `json:"held_metadata_root,omitempty"`
	Failed             bool    `json:"failed"`
}

type thinStatusJSON struct {
	MappedBytes         uint64  `json:"mapped_bytes"`
	HighestMappedSector *uint64 `json:"highest_mapped_sector,omitempty"`
	Failed              bool    `json:"failed"`
}

type targetJSON struct {
	StartSector   uint64 `json:"start_sector"`
	LengthSectors uint64 `json:"length_sectors"`
	Type          string `json:"type"`
	Status        string `json:"status"`
}

func renderStatus(c *cli.Context, kind format.Kind, views []deviceView) error {
	out := make([]statusJSON, 0, len(views))
	for _, v := range views {
		out = append(out, statusToJSON(v))
	}
	rows := make([][]string, 0, len(views))
	for _, v := range views {
		rows = append(rows, []string{v.Info.Name, v.Info.Dev.String(), orDash(v.Type),
			humanize.IBytes(v.Size), deviceState(v.Info), statusSummary(v)})
	}
	return format.Rows(c.App.Writer, kind, []string{"NAME", "MAJ:MIN", "TYPE", "SIZE", "STATE", "STATUS"}, rows, out)
}

func statusToJSON(v deviceView) statusJSON {
	s := statusJSON{Name: v.Info.Name, UUID: v.Info.UUID, Major: v.Info.Dev.Major(), Minor: v.Info.Dev.Minor(),
		Type: v.Type, SizeBytes: v.Size, Suspended: v.Info.Suspended(), ReadOnly: v.Info.ReadOnly(),
		OpenCount: v.Info.OpenCount, Targets: []targetJSON{}, Mountpoints: v.Mounted}
	for _, t := range v.Status {
		s.Targets = append(s.Targets, targetJSON{t.Start, t.Length, t.Type, t.Params})
	}
	if p := v.Pool; p != nil {
		pj := &poolStatusJSON{TransactionID: p.TransactionID, BlockBytes: p.BlockBytes,
			DataUsedBytes: p.DataUsedBytes, DataTotalBytes: p.DataTotalBytes,
			DataUsedPercent:   round2(p.DataPercent()),
			MetadataUsedBytes: p.MetaUsedBytes, MetadataTotalBytes: p.MetaTotalBytes,
			MetadataUsedPct: round2(p.MetaPercent()),
			Mode:            p.Mode, Discard: p.DiscardPassdown, ErrorIfNoSpace: p.ErrorIfNoSpace,
			NeedsCheck: p.NeedsCheck, Failed: p.Failed}
		if p.HasHeldRoot {
			root := p.HeldMetadataRoot
			pj.HeldMetadataRoot = &root
		}
		s.Pool = pj
	}
	if t := v.Thin; t != nil {
		tj := &thinStatusJSON{MappedBytes: t.MappedSectors * 512, Failed: t.Failed}
		if t.HasMapped {
			h := t.HighestMappedSector
			tj.HighestMappedSector = &h
		}
		s.Thin = tj
	}
	return s
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// deviceState is a short word for the device's state.
func deviceState(info dmctl.DeviceInfo) string {
	var parts []string
	switch {
	case info.Suspended():
		parts = append(parts, "suspended")
	case !info.LiveTable():
		parts = append(parts, "no table")
	default:
		parts = append(parts, "active")
	}
	if info.ReadOnly() {
		parts = append(parts, "ro")
	}
	if info.InactiveTable() {
		parts = append(parts, "inactive table")
	}
	if info.DeferredRemove() {
		parts = append(parts, "deferred remove")
	}
	return strings.Join(parts, ", ")
}

// statusSummary is the STATUS column: parsed for pools and thins, raw
// otherwise.
func statusSummary(v deviceView) string {
	switch {
	case v.Pool != nil && v.Pool.Failed:
		return "pool " + v.Pool.Mode
	case v.Pool != nil:
		p := v.Pool
		s := fmt.Sprintf("data %s/%s (%.1f%%), metadata %s/%s (%.1f%%), %s",
			humanize.IBytes(p.DataUsedBytes), humanize.IBytes(p.DataTotalBytes), p.DataPercent(),
			humanize.IBytes(p.MetaUsedBytes), humanize.IBytes(p.MetaTotalBytes), p.MetaPercent(),
			p.Mode)
		if p.NeedsCheck {
			s += ", needs_check"
		}
		if p.ErrorIfNoSpace {
			s += ", error_if_no_space"
		}
		return s
	case v.Thin != nil && v.Thin.Failed:
		return "thin failed"
	case v.Thin != nil:
		return "mapped " + humanize.IBytes(v.Thin.MappedSectors*512)
	}
	var parts []string
	for _, t := range v.Status {
		parts = append(parts, strings.TrimSpace(t.Params))
	}
	return strings.Join(parts, " | ")
}
