package format

import (
	"io"
	"strconv"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dustin/go-humanize"
)

// Usage is how much of a node's capacity is in use, in bytes.
type Usage struct {
	Used  uint64
	Total uint64 // 0 means the node's Size
}

// TreeNode is one device or file of an lsblk-like tree: a node's Children
// are the devices stacked on it (a loop device's pool, a pool's thin
// devices).
type TreeNode struct {
	Name       string
	MajMin     string // "253:0"; empty for a file
	Size       uint64 // bytes
	ReadOnly   bool
	Type       string // loop, dm, thin-pool, thin, file, disk, ...
	Mountpoint string
	Data       *Usage // data in use: a pool's data space, a thin device's mapped bytes
	Meta       *Usage // metadata in use (thin pools)
	Children   []TreeNode
}

// usageJSON is the JSON form of a Usage.
type usageJSON struct {
	UsedBytes  uint64 `json:"used_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
}

// treeJSON is the JSON form of a TreeNode.
type treeJSON struct {
	Name          string     `json:"name"`
	Major         *uint32    `json:"major"`
	Minor         *uint32    `json:"minor"`
	SizeBytes     uint64     `json:"size_bytes"`
	ReadOnly      bool       `json:"read_only"`
	Type          string     `json:"type"`
	Mountpoint    string     `json:"mountpoint"`
	DataUsage     *usageJSON `json:"data_usage"`
	MetadataUsage *usageJSON `json:"metadata_usage"`
	Children      []treeJSON `json:"children"`
}

// Tree prints trees of devices the way lsblk does: NAME (indented with
// "├─", "└─" and "│ "), MAJ:MIN, SIZE, RO, TYPE, then USED and USE% when a
// node has Data, META% when a node has Meta, and MOUNTPOINT. JSON nests
// nodes in "children". Dmsetup has no such form and prints the table.
func Tree(w io.Writer, k Kind, roots []TreeNode) error {
	k, err := k.resolve("tree")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(w, "tree", treeNodesJSON(roots))
	}
	var data, meta bool
	walkTree(roots, func(n *TreeNode) {
		data = data || n.Data != nil
		meta = meta || n.Meta != nil
	})
	cols := []column{
		{heading: "NAME"},
		{heading: "MAJ:MIN", right: true},
		{heading: "SIZE", right: true},
		{heading: "RO", right: true},
		{heading: "TYPE"},
	}
	if data {
		cols = append(cols, column{heading: "USED", right: true}, column{heading: "USE%", right: true})
	}
	if meta {
		cols = append(cols, column{heading: "META%", right: true})
	}
	cols = append(cols, column{heading: "MOUNTPOINT"})
	var rows [][]string
	var add func(nodes []TreeNode, indent string, depth int)
	add = func(nodes []TreeNode, indent string, depth int) {
		for i := range nodes {
			n := &nodes[i]
			last := i == len(nodes)-1
			name, below := n.Name, indent
			if depth > 0 {
				branch, cont := "├─", "│ "
				if last {
					branch, cont = "└─", "  "
				}
				name, below = indent+branch+n.Name, indent+cont
			}
			ro := "0"
			if n.ReadOnly {
				ro = "1"
			}
			row := []string{name, n.MajMin, humanize.IBytes(n.Size), ro, n.Type}
			if data {
				if n.Data != nil {
					row = append(row, humanize.IBytes(n.Data.Used), percent(n.Data, n.Size))
				} else {
					row = append(row, "", "")
				}
			}
			if meta {
				if n.Meta != nil {
					row = append(row, percent(n.Meta, n.Size))
				} else {
					row = append(row, "")
				}
			}
			rows = append(rows, append(row, n.Mountpoint))
			add(n.Children, below, depth+1)
		}
	}
	add(roots, "", 0)
	return writeTable(w, "tree", cols, rows)
}

// walkTree calls fn for every node, parents first.
func walkTree(nodes []TreeNode, fn func(*TreeNode)) {
	for i := range nodes {
		fn(&nodes[i])
		walkTree(nodes[i].Children, fn)
	}
}

// total returns u's capacity: Total, or size when Total is 0.
func (u *Usage) total(size uint64) uint64 {
	if u.Total != 0 {
		return u.Total
	}
	return size
}

// percent formats u as a percentage of its total with two decimals, as lvs, or "-"
// when the total is 0.
func percent(u *Usage, size uint64) string {
	t := u.total(size)
	if t == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(u.Used)*100/float64(t), 'f', 2, 64) + "%"
}

// treeNodesJSON converts nodes to their JSON form.
func treeNodesJSON(nodes []TreeNode) []treeJSON {
	out := make([]treeJSON, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		j := treeJSON{
			Name:       n.Name,
			SizeBytes:  n.Size,
			ReadOnly:   n.ReadOnly,
			Type:       n.Type,
			Mountpoint: n.Mountpoint,
			Children:   treeNodesJSON(n.Children),
		}
		if dev, err := dmctl.ParseDev(n.MajMin); err == nil {
			maj, min := dev.Major(), dev.Minor()
			j.Major, j.Minor = &maj, &min
		}
		if n.Data != nil {
			j.DataUsage = &usageJSON{UsedBytes: n.Data.Used, TotalBytes: n.Data.total(n.Size)}
		}
		if n.Meta != nil {
			j.MetadataUsage = &usageJSON{UsedBytes: n.Meta.Used, TotalBytes: n.Meta.total(n.Size)}
		}
		out[i] = j
	}
	return out
}
