package format

import (
	"strings"
)

// TreeNode is one device or file of an lsblk-like tree (ls --tree,
// snapshot ls --tree): a node's children are the devices stacked on it (a
// loop device's pool, a pool's thin devices, a device's snapshots).
type TreeNode struct {
	Name               string     `json:"name" doc:"device-mapper name, kernel name (loop0), file path or snapshot id"`
	Major              *uint32    `json:"major" doc:"major number; null for a file or an inactive device"`
	Minor              *uint32    `json:"minor" doc:"minor number; null for a file or an inactive device"`
	SizeBytes          uint64     `json:"size_bytes" doc:"size"`
	ReadOnly           bool       `json:"read_only" doc:"the device is read-only"`
	Type               string     `json:"type" doc:"file, loop, disk, part, thin-pool, thin, or another target type"`
	Mountpoints        []string   `json:"mountpoints" doc:"where the device is mounted"`
	DataUsedBytes      *uint64    `json:"data_used_bytes" doc:"pools: data space in use; thins: mapped bytes; null otherwise"`
	DataTotalBytes     *uint64    `json:"data_total_bytes" doc:"pools: data space; thins: their size; null otherwise"`
	MetadataUsedBytes  *uint64    `json:"metadata_used_bytes" doc:"pools: metadata space in use; null otherwise"`
	MetadataTotalBytes *uint64    `json:"metadata_total_bytes" doc:"pools: metadata space; null otherwise"`
	Children           []TreeNode `json:"children" doc:"the devices stacked on this one"`
}

// SetDev sets the node's device number.
func (n *TreeNode) SetDev(major, minor uint32) { n.Major, n.Minor = &major, &minor }

// SetData sets the node's data usage.
func (n *TreeNode) SetData(used, total uint64) { n.DataUsedBytes, n.DataTotalBytes = &used, &total }

// SetMetadata sets the node's metadata usage.
func (n *TreeNode) SetMetadata(used, total uint64) {
	n.MetadataUsedBytes, n.MetadataTotalBytes = &used, &total
}

// treeRow is one line of a tree: a node and the branches drawn before its
// name.
type treeRow struct {
	n     *TreeNode
	drawn string
}

// TreeTable is the table of ls --tree and snapshot ls --tree.
var TreeTable TableView = treeTable

var treeTable = &table[treeRow]{what: "tree", cols: []column[treeRow]{
	{name: "NAME", about: "the node, under its parent's branch", get: func(r *treeRow) cell { return cell{text: r.n.Name, drawn: r.drawn} }},
	{name: "MAJ:MIN", right: true, about: "major:minor device number", get: func(r *treeRow) cell {
		if r.n.Major == nil || r.n.Minor == nil {
			return text("")
		}
		return text(devNo(*r.n.Major, *r.n.Minor))
	}},
	{name: "SIZE", right: true, about: "size", get: func(r *treeRow) cell { return size(r.n.SizeBytes) }},
	{name: "RO", right: true, about: "1 when read-only", get: func(r *treeRow) cell {
		if r.n.ReadOnly {
			return text("1")
		}
		return text("0")
	}},
	{name: "TYPE", about: "file, loop, disk, part, thin-pool, thin or a target type", get: func(r *treeRow) cell { return text(r.n.Type) }},
	{name: "USED", right: true, about: "pools: data in use; thins: mapped bytes", get: func(r *treeRow) cell { return optSize(r.n.DataUsedBytes) }},
	{name: "USE%", right: true, about: "USED of the pool's data space or of the thin's size", get: func(r *treeRow) cell {
		if r.n.DataUsedBytes == nil || r.n.DataTotalBytes == nil {
			return text("")
		}
		return text(percentText(*r.n.DataUsedBytes, *r.n.DataTotalBytes))
	}},
	{name: "META%", right: true, about: "pools: metadata in use", get: func(r *treeRow) cell {
		if r.n.MetadataUsedBytes == nil || r.n.MetadataTotalBytes == nil {
			return text("")
		}
		return text(percentText(*r.n.MetadataUsedBytes, *r.n.MetadataTotalBytes))
	}},
	{name: "MOUNTPOINTS", about: "where the device is mounted, comma-separated", get: func(r *treeRow) cell { return text(strings.Join(r.n.Mountpoints, ",")) }},
	{name: "KNAME", extra: true, about: "the node's name without the branches", get: func(r *treeRow) cell { return text(r.n.Name) }},
	{name: "META_USED", right: true, extra: true, about: "pools: metadata in use", get: func(r *treeRow) cell { return optSize(r.n.MetadataUsedBytes) }},
	{name: "DATA_TOTAL", right: true, extra: true, about: "pools: data space", get: func(r *treeRow) cell { return optSize(r.n.DataTotalBytes) }},
}}

// Tree prints trees of devices the way lsblk does: NAME indented with
// "├─", "└─" and "│ ", then MAJ:MIN, SIZE, RO, TYPE, USED, USE%, META% and
// MOUNTPOINTS. JSON nests nodes in "children". Dmsetup has no such form and
// prints the table.
func Tree(out Output, roots []TreeNode) error {
	k, err := out.Kind.resolve("tree")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "tree", nonNilTree(roots))
	}
	var rows []treeRow
	var add func(nodes []TreeNode, indent string, depth int)
	add = func(nodes []TreeNode, indent string, depth int) {
		for i := range nodes {
			n := &nodes[i]
			drawn, below := "", indent
			if depth > 0 {
				branch, cont := "├─", "│ "
				if i == len(nodes)-1 {
					branch, cont = "└─", "  "
				}
				drawn, below = indent+branch, indent+cont
			}
			rows = append(rows, treeRow{n: n, drawn: drawn})
			add(n.Children, below, depth+1)
		}
	}
	add(roots, "", 0)
	return treeTable.write(out, rows)
}

// nonNilTree returns the nodes with every nil list made empty, so that
// JSON prints [] and never null for children and mountpoints.
func nonNilTree(nodes []TreeNode) []TreeNode {
	out := make([]TreeNode, len(nodes))
	for i, n := range nodes {
		n.Mountpoints = nonNil(n.Mountpoints)
		n.Children = nonNilTree(n.Children)
		out[i] = n
	}
	return out
}
