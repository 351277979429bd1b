//go:build linux

package commands

import (
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func lsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list devices; --tree shows them lsblk-like, from backing files and disks down to thin devices",
		Description: "With --output dmsetup, -o takes dmsetup ls's devno, blkdevname or devname; otherwise it " +
			"selects the table's columns.\n\n" +
			"Examples:\n" +
			"  dmctl ls\n" +
			"  dmctl ls --target thin-pool -o name --noheadings\n" +
			"  dmctl ls --tree\n" +
			"  dmctl --output dmsetup ls -o blkdevname",
		Flags: withFlags([]cli.Flag{
			&cli.StringFlag{Name: "target", Usage: "only devices with a target of this `TYPE`"},
			&cli.BoolFlag{Name: "tree", Usage: "show the device tree with lsblk's columns and pool usage"},
		}, tableFlags()),
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			view := format.ListTable
			if c.Bool("tree") {
				view = format.TreeTable
			}
			out, err := tableOutput(c, view)
			if err != nil {
				return err
			}
			var style format.ListStyle
			if out.Kind == format.Dmsetup {
				switch o := out.Table.Columns; o {
				case "", "devno":
				case "blkdevname":
					style.Names = format.BlkDevName
				case "devname":
					style.Names = format.DevName
				default:
					return usagef("ls: -o %q: dmsetup ls takes devno, blkdevname or devname", o)
				}
			}
			return withControl(func(ctl *dmctl.Control) error {
				if c.Bool("tree") {
					roots, err := deviceTree(ctl)
					if err != nil {
						return err
					}
					return format.Tree(out, roots)
				}
				entries, err := ctl.List(dmctl.ListOptions{UUIDs: out.Kind != format.Dmsetup})
				if err != nil {
					return err
				}
				typ := c.String("target")
				recs := make([]format.ListRecord, 0, len(entries))
				for _, e := range entries {
					if typ != "" {
						_, table, err := ctl.Table(e.Name, dmctl.StatusOptions{})
						if err != nil || len(filterTargets(table, typ)) == 0 {
							continue // removed meanwhile, or no such target
						}
					}
					recs = append(recs, format.ListRecordOf(e))
				}
				if len(entries) == 0 {
					typ = "" // dmsetup says "No devices found" when there are none at all
				}
				style.Target = typ
				return format.List(out, recs, style)
			})
		},
	}
}

// deviceTree builds the lsblk-like tree of every dm device: roots are the
// backing files of loop devices and the other block devices dm devices
// stand on; each node's children are the devices stacked on it.
func deviceTree(ctl *dmctl.Control) ([]format.TreeNode, error) {
	entries, err := ctl.List(dmctl.ListOptions{})
	if err != nil {
		return nil, err
	}
	mounts, _ := pool.ReadMounts() // once for all devices; none without /proc
	views := make(map[dmctl.Dev]deviceView, len(entries))
	users := map[dmctl.Dev][]dmctl.Dev{} // device -> the dm devices using it
	var order []dmctl.Dev
	for _, e := range entries {
		v, err := inspect(ctl, e.Name, inspectOptions{Deps: true, Mounts: mounts})
		if err != nil {
			continue // removed meanwhile
		}
		views[e.Dev] = v
		order = append(order, e.Dev)
		for _, d := range v.Deps {
			users[d] = append(users[d], e.Dev)
		}
	}
	var build func(dev dmctl.Dev, depth int) format.TreeNode
	build = func(dev dmctl.Dev, depth int) format.TreeNode {
		var n format.TreeNode
		if v, ok := views[dev]; ok {
			n = dmNode(v)
		} else {
			n = blockNode(dev)
		}
		if depth < 16 { // a guard: dm stacks are acyclic
			for _, u := range users[dev] {
				n.Children = append(n.Children, build(u, depth+1))
			}
		}
		return n
	}
	var roots []format.TreeNode
	seen := map[dmctl.Dev]bool{}
	addRoot := func(dev dmctl.Dev) {
		if seen[dev] {
			return
		}
		seen[dev] = true
		n := build(dev, 0)
		if loop, err := dmctl.LoopStatus("/dev/" + dmctl.BlockName(dev)); err == nil && loop.BackingFile != "" {
			roots = append(roots, format.TreeNode{Name: loop.BackingFile, SizeBytes: fileSize(loop.BackingFile),
				Type: "file", Children: []format.TreeNode{n}})
			return
		}
		roots = append(roots, n)
	}
	for _, dev := range order {
		v := views[dev]
		if len(v.Deps) == 0 {
			addRoot(dev) // zero, error, or a device without a table
			continue
		}
		for _, d := range v.Deps {
			if _, isDM := views[d]; !isDM {
				addRoot(d)
			}
		}
	}
	return roots, nil
}

func dmNode(v deviceView) format.TreeNode {
	n := format.TreeNode{Name: v.Info.Name, SizeBytes: v.Size, ReadOnly: v.Info.ReadOnly(),
		Type: orDash(v.Type), Mountpoints: v.Mounted}
	n.SetDev(v.Info.Dev.Major(), v.Info.Dev.Minor())
	if p := v.Pool; p != nil && !p.Failed {
		n.SetData(p.DataUsedBytes, p.DataTotalBytes)
		n.SetMetadata(p.MetaUsedBytes, p.MetaTotalBytes)
	}
	if t := v.Thin; t != nil && !t.Failed {
		n.SetData(t.MappedSectors*512, v.Size)
	}
	return n
}

func blockNode(dev dmctl.Dev) format.TreeNode {
	name := dmctl.BlockName(dev)
	n := format.TreeNode{Name: name, Type: "disk"}
	n.SetDev(dev.Major(), dev.Minor())
	if name == "" {
		n.Name = dev.String()
		return n
	}
	if strings.HasPrefix(name, "loop") {
		n.Type = "loop"
	} else if _, err := filepath.EvalSymlinks("/sys/class/block/" + name + "/partition"); err == nil {
		n.Type = "part"
	}
	n.SizeBytes, _ = dmctl.DeviceSize("/dev/" + name)
	return n
}

func fileSize(path string) uint64 {
	size, _ := dmctl.DeviceSize(path)
	return size
}
