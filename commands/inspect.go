//go:build linux

package commands

import (
	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/pool"
)

// deviceView is what the human and JSON forms of status and ls --tree show
// of one dm device: its info, table and parsed target status.
type deviceView struct {
	Info    dmctl.DeviceInfo
	Table   []dmctl.Target
	Status  []dmctl.Target
	Deps    []dmctl.Dev
	Pool    *poolUsage // set for a thin-pool
	Thin    *pool.ThinStatus
	Size    uint64 // bytes: the sum of the live table's lengths
	Type    string // the first target's type, or "" without a table
	Mounted []string
}

// poolUsage is a thin pool's parsed status with byte figures.
type poolUsage struct {
	pool.PoolStatus
	BlockBytes     uint64
	DataUsedBytes  uint64
	DataTotalBytes uint64
	MetaUsedBytes  uint64
	MetaTotalBytes uint64
}

// inspectOptions says what inspect reads beyond info, table and status.
type inspectOptions struct {
	Deps   bool        // the device's dependencies (one more ioctl)
	Mounts pool.Mounts // the mount table, read once by the caller
}

// inspect reads what deviceView holds of one device: info, table and
// status, dependencies when asked, and mount points from the caller's
// mount table. Status is read with noflush so that inspecting a pool never
// forces a metadata commit.
func inspect(ctl *dmctl.Control, name string, opts inspectOptions) (deviceView, error) {
	var v deviceView
	info, table, err := ctl.Table(name, dmctl.StatusOptions{})
	if err != nil {
		return v, err
	}
	v.Info, v.Table = info, table
	if !info.LiveTable() {
		return v, nil
	}
	for _, t := range table {
		v.Size += t.Length * 512
	}
	if len(table) > 0 {
		v.Type = table[0].Type
	}
	if _, v.Status, err = ctl.Status(name, dmctl.StatusOptions{NoFlush: true}); err != nil {
		return v, err
	}
	if opts.Deps {
		if _, v.Deps, err = ctl.Deps(name); err != nil {
			return v, err
		}
	}
	if len(v.Status) == 1 && len(table) == 1 {
		switch v.Type {
		case "thin-pool":
			v.Pool = parsePoolUsage(table[0], v.Status[0])
		case "thin":
			if ts, err := pool.ParseThinStatus(v.Status[0].Params); err == nil {
				v.Thin = &ts
			}
		}
	}
	v.Mounted = opts.Mounts.Of(info.Dev)
	return v, nil
}

func parsePoolUsage(table, status dmctl.Target) *poolUsage {
	ps, err := pool.ParsePoolStatus(status.Params)
	if err != nil {
		return nil
	}
	u := &poolUsage{PoolStatus: ps}
	if pt, err := pool.ParsePoolTable(table.Params); err == nil {
		u.BlockBytes = pt.BlockSectors * 512
	}
	u.DataUsedBytes, u.DataTotalBytes = ps.DataBytes(u.BlockBytes)
	u.MetaUsedBytes, u.MetaTotalBytes = ps.MetadataBytes()
	return u
}
