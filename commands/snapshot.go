package commands

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
	"github.com/dmctl/dmctl/pool/thinmeta"
)

func snapshotCommand() *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "create, remove and list the pool's thin devices (snapshots of the base device and of each other)",
		Subcommands: []*cli.Command{
			snapshotCreateCommand(),
			snapshotRmCommand(),
			snapshotLsCommand(),
		},
	}
}

func snapshotCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create thin device ID as a snapshot of --origin (default the base device)",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "origin", Usage: "id of the device to snapshot", Value: pool.BaseID},
			&cli.StringFlag{Name: "size", Usage: "size of the new device (default the origin's; the filesystem is not grown)"},
			storageOptFlag(),
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			var size uint64
			if c.IsSet("size") {
				if size, err = pool.ParseSize(c.String("size")); err != nil {
					return usagef("snapshot create: --size: %v", err)
				}
			}
			id := args[0]
			return withPool(c, true, func(p *pool.Pool) error {
				if err := checkIDs(p, id); err != nil {
					return err
				}
				origin := c.String("origin")
				if origin == pool.BaseID {
					origin = ""
				}
				m, err := p.CreateSnapshot(id, origin, size)
				if err != nil {
					return err
				}
				if w := p.OverProvisionWarning(m.Size); w != "" {
					fmt.Fprintf(c.App.ErrWriter, "dmctl: warning: %s\n", w)
				}
				return format.KeyValues(c.App.Writer, kind, "", []format.KV{
					{Key: "ID", Value: id, JSONKey: "id"},
					{Key: "Thin ID", Value: fmt.Sprint(m.DeviceID), JSONKey: "thin_id", JSONValue: m.DeviceID},
					{Key: "Origin", Value: c.String("origin"), JSONKey: "origin"},
					{Key: "Size", Value: humanize.IBytes(m.Size), JSONKey: "size_bytes", JSONValue: m.Size},
					{Key: "Device", Value: p.DevicePath(id), JSONKey: "device"},
				})
			})
		},
	}
}

func snapshotRmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "delete thin devices (their data is lost)",
		ArgsUsage: "ID...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "remove busy devices when their last user closes them"},
		},
		Action: func(c *cli.Context) error {
			ids, err := positional(c, 1, -1, "ID...")
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				done, err := p.RemoveSnapshot(ids, c.Bool("deferred"))
				for _, r := range done {
					if r.Deferred {
						fmt.Fprintf(c.App.ErrWriter, "dmctl: %s is busy: removal deferred\n", r.ID)
					}
				}
				return err
			})
		},
	}
}

// snapshotJSON is one device in snapshot ls --output json.
type snapshotJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	ThinID      int     `json:"thin_id"`
	Origin      string  `json:"origin,omitempty"`
	SizeBytes   uint64  `json:"size_bytes"`
	MappedBytes *uint64 `json:"mapped_bytes,omitempty"`
	// What deleting the device would free, and what it shares with
	// others, read through a metadata snapshot like thin_ls -m.
	ExclusiveBytes *uint64  `json:"exclusive_bytes,omitempty"`
	SharedBytes    *uint64  `json:"shared_bytes,omitempty"`
	TransactionID  uint64   `json:"transaction_id"`
	Active         bool     `json:"active"`
	Deleted        bool     `json:"deleted"`
	Mountpoints    []string `json:"mountpoints,omitempty"`
}

func snapshotLsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the pool's thin devices: id, thin id, origin, size, mapped bytes, state, mount points",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "tree", Usage: "show lineage: base, then the snapshots of each device under it"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withPool(c, false, func(p *pool.Pool) error {
				devs, err := p.ListDevices()
				if err != nil {
					return err
				}
				if c.Bool("tree") {
					return format.Tree(c.App.Writer, kind, snapshotTree(devs))
				}
				// Exclusive and shared bytes need the pool's own metadata;
				// without an active pool (or with a metadata snapshot held
				// by someone else) those columns stay empty.
				var usage map[int]thinmeta.DeviceUsage
				if active, _ := p.Active(); active {
					if view, err := p.ReadThinView(); err == nil {
						usage = view.Devices
					} else {
						fmt.Fprintf(c.App.ErrWriter, "dmctl: warning: no exclusive/shared usage: %v\n", err)
					}
				}
				return renderSnapshots(c, kind, devs, usage)
			})
		},
	}
}

func renderSnapshots(c *cli.Context, kind format.Kind, devs []pool.DeviceState, usage map[int]thinmeta.DeviceUsage) error {
	rows := make([][]string, 0, len(devs))
	js := make([]snapshotJSON, 0, len(devs))
	for _, d := range devs {
		mapped := "-"
		j := snapshotJSON{ID: d.ID, Name: d.Name, ThinID: d.DeviceID, Origin: d.Origin, SizeBytes: d.Size,
			TransactionID: d.TransactionID, Active: d.Active, Deleted: d.Deleted, Mountpoints: d.MountPoints}
		if d.MappedKnown {
			mapped = humanize.IBytes(d.MappedBytes)
			j.MappedBytes = &d.MappedBytes
		}
		exclusive, shared := "-", "-"
		if u, ok := usage[d.DeviceID]; ok {
			m, e, sh := u.MappedBytes(), u.ExclusiveBytes(), u.SharedBytes()
			if !d.MappedKnown {
				mapped = humanize.IBytes(m)
				j.MappedBytes = &m
			}
			exclusive, shared = humanize.IBytes(e), humanize.IBytes(sh)
			j.ExclusiveBytes, j.SharedBytes = &e, &sh
		}
		state := activeWord(d.Active)
		if d.Deleted {
			state += ",deleted"
		}
		rows = append(rows, []string{d.ID, fmt.Sprint(d.DeviceID), orDash(d.Origin), humanize.IBytes(d.Size),
			mapped, exclusive, shared, state, orDash(strings.Join(d.MountPoints, ","))})
		js = append(js, j)
	}
	return format.Rows(c.App.Writer, kind,
		[]string{"ID", "THIN ID", "ORIGIN", "SIZE", "MAPPED", "EXCLUSIVE", "SHARED", "STATE", "MOUNTED"}, rows, js)
}

// snapshotTree arranges devices by lineage: each device under its origin,
// the base device (and devices whose origin is gone) at the top.
func snapshotTree(devs []pool.DeviceState) []format.TreeNode {
	known := make(map[string]bool, len(devs))
	for _, d := range devs {
		known[d.ID] = true
	}
	children := make(map[string][]pool.DeviceState)
	var roots []pool.DeviceState
	for _, d := range devs {
		if d.Origin == "" || d.Origin == d.ID || !known[d.Origin] {
			roots = append(roots, d)
			continue
		}
		children[d.Origin] = append(children[d.Origin], d)
	}
	// The base device first, then the others by id (devs is sorted).
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].ID == pool.BaseID && roots[j].ID != pool.BaseID })
	var build func(d pool.DeviceState, depth int) format.TreeNode
	build = func(d pool.DeviceState, depth int) format.TreeNode {
		n := format.TreeNode{Name: d.ID, Size: d.Size, Type: "thin"}
		if d.Active {
			n.MajMin = d.Dev.String()
		}
		if d.MappedKnown {
			n.Data = &format.Usage{Used: d.MappedBytes}
		}
		if len(d.MountPoints) > 0 {
			n.Mountpoint = d.MountPoints[0]
		}
		if depth < len(devs) { // lineage cannot loop deeper than the device count
			for _, ch := range children[d.ID] {
				n.Children = append(n.Children, build(ch, depth+1))
			}
		}
		return n
	}
	nodes := make([]format.TreeNode, 0, len(roots))
	for _, r := range roots {
		nodes = append(nodes, build(r, 0))
	}
	return nodes
}
