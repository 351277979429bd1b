//go:build linux

package commands

import (
	"fmt"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
	"github.com/dmctl/dmctl/pool/thinmeta"
)

func snapshotCommand() *cli.Command {
	return &cli.Command{
		Name:   "snapshot",
		Usage:  "create, remove and list the pool's thin devices (snapshots of the base device and of each other)",
		Action: groupAction,
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
		Description: "The origin is suspended for the moment the snapshot is taken when it is active, as " +
			"Docker's driver did. Snapshots are refused when the pool's free space is below its minimum.\n\n" +
			"Examples:\n" +
			"  dmctl snapshot create image\n" +
			"  dmctl snapshot create ctr --origin image\n" +
			"  dmctl snapshot create big --size 20G",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "origin", Usage: "`ID` of the device to snapshot", Value: pool.BaseID},
			&cli.StringFlag{Name: "size", Usage: "`SIZE` of the new device (default the origin's; the filesystem is not grown)"},
			storageOptFlag(),
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			var size uint64
			if c.IsSet("size") {
				if size, err = pool.ParseSize(c.String("size")); err != nil {
					return usagef("snapshot create: --size: %v", err)
				}
			}
			id, origin := args[0], c.String("origin")
			if err := preCheckIDs(id, origin); err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				if err := checkIDs(p, id); err != nil {
					return err
				}
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
				devs, err := p.ListDevices()
				if err != nil {
					return err
				}
				for _, d := range devs {
					if d.ID == id {
						return format.Snapshot(out, snapshotRecord(p, d, nil))
					}
				}
				return fmt.Errorf("snapshot create %s: created, but not listed", id)
			})
		},
	}
}

func snapshotRmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "delete thin devices (their data is lost)",
		ArgsUsage: "ID...",
		Description: "Examples:\n" +
			"  dmctl snapshot rm ctr\n" +
			"  dmctl snapshot rm --deferred busy",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "remove busy devices when their last user closes them"},
		},
		Action: func(c *cli.Context) error {
			ids, err := positional(c, 1, -1, "ID...")
			if err != nil {
				return err
			}
			if err := preCheckIDs(ids...); err != nil {
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

func snapshotLsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the pool's thin devices: id, thin id, origin, size, mapped, exclusive and shared bytes, state, mount points",
		Description: "Exclusive and shared bytes (what deleting a device would free, and what it shares) are read " +
			"online through a metadata snapshot, as thin_ls -m does, when the pool is active.\n\n" +
			"Examples:\n" +
			"  dmctl snapshot ls\n" +
			"  dmctl snapshot ls --tree\n" +
			"  dmctl snapshot ls -o id,exclusive --bytes --noheadings",
		Flags: withFlags([]cli.Flag{
			&cli.BoolFlag{Name: "tree", Usage: "show lineage: base, then the snapshots of each device under it"},
		}, tableFlags()),
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			view := format.SnapshotsTable
			if c.Bool("tree") {
				view = format.TreeTable
			}
			out, err := tableOutput(c, view)
			if err != nil {
				return err
			}
			return withPool(c, false, func(p *pool.Pool) error {
				devs, err := p.ListDevices()
				if err != nil {
					return err
				}
				if c.Bool("tree") {
					return format.Tree(out, snapshotTree(devs))
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
				recs := make([]format.SnapshotRecord, len(devs))
				for i, d := range devs {
					var u *thinmeta.DeviceUsage
					if du, ok := usage[d.DeviceID]; ok {
						u = &du
					}
					recs[i] = snapshotRecord(p, d, u)
				}
				return format.Snapshots(out, recs)
			})
		},
	}
}

// snapshotRecord turns a thin device's state (and its usage in the pool's
// metadata, when read) into its record.
func snapshotRecord(p *pool.Pool, d pool.DeviceState, u *thinmeta.DeviceUsage) format.SnapshotRecord {
	r := format.SnapshotRecord{ID: d.ID, Name: d.Name, ThinID: d.DeviceID, Origin: format.OptString(d.Origin),
		SizeBytes: d.Size, TransactionID: d.TransactionID, CreatedAt: format.OptTime{Time: d.CreatedAt},
		Active: d.Active, Deleted: d.Deleted, DevicePath: p.DevicePath(d.ID), Mountpoints: d.MountPoints}
	if d.MappedKnown {
		m := d.MappedBytes
		r.MappedBytes = &m
	}
	if u != nil {
		m, e, s := u.MappedBytes(), u.ExclusiveBytes(), u.SharedBytes()
		if r.MappedBytes == nil {
			r.MappedBytes = &m
		}
		r.ExclusiveBytes, r.SharedBytes = &e, &s
	}
	return r
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
		n := format.TreeNode{Name: d.ID, SizeBytes: d.Size, Type: "thin", Mountpoints: d.MountPoints}
		if d.Active {
			n.SetDev(d.Dev.Major(), d.Dev.Minor())
		}
		if d.MappedKnown {
			n.SetData(d.MappedBytes, d.Size)
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
