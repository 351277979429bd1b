package format

import (
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

// Devices used across the tests: a Docker-style loop pool and its thin
// devices, plus devices in every state dmsetup distinguishes.
const (
	live     = dmctl.FlagActivePresent
	inactive = dmctl.FlagInactivePresent
)

func poolInfo() dmctl.DeviceInfo {
	return dmctl.DeviceInfo{Name: "docker-8:1-1048612-pool", Dev: dmctl.MakeDev(253, 0), OpenCount: 1, TargetCount: 1, Flags: live}
}

// devices returns one device of each kind, in kernel (name) order.
func devices() []dmctl.DeviceInfo {
	return []dmctl.DeviceInfo{
		{Name: "broken", Dev: dmctl.MakeDev(253, 8), TargetCount: 1, EventNr: 2, Flags: live},
		{Name: "docker-8:1-1048612-base", Dev: dmctl.MakeDev(253, 1), TargetCount: 1, Flags: live},
		poolInfo(),
		{Name: "empty", Dev: dmctl.MakeDev(253, 6)},
		{Name: "fresh", Dev: dmctl.MakeDev(253, 5), Flags: inactive},
		{Name: "going", Dev: dmctl.MakeDev(253, 7), OpenCount: 1, TargetCount: 1, Flags: live | dmctl.FlagDeferredRemove},
		{Name: "ro-dev", UUID: "CRYPT-PLAIN-ro-dev", Dev: dmctl.MakeDev(253, 4), TargetCount: 1, Flags: live | dmctl.FlagReadOnly},
		{Name: "snap", Dev: dmctl.MakeDev(253, 3), EventNr: 1, TargetCount: 1, Flags: live | inactive | dmctl.FlagSuspended},
		{Name: "vg0-lv_data", UUID: "LVM-AbCdEfGhIjKlMnOpQrStUvWxYz012345aBcDeFgHiJkLmNoPqRsTuVwXyZ678901", Dev: dmctl.MakeDev(253, 2), OpenCount: 2, EventNr: 3, TargetCount: 2, Flags: live},
	}
}

func infoRecords() []InfoRecord {
	devs := devices()
	recs := make([]InfoRecord, len(devs))
	for i, d := range devs {
		ra := uint32(256)
		recs[i] = InfoRecordOf(d, &ra)
	}
	return recs
}

// reportDevices returns the devices with what info -c's relation fields
// need: the pool uses two loop devices, the thins use the pool, the LV
// uses two disks.
func reportDevices() []ReportDevice {
	recs := infoRecords()
	out := make([]ReportDevice, len(recs))
	pool := ReportDep{Major: 253, Minor: 0, Name: "docker-8:1-1048612-pool", BlkName: "dm-0"}
	for i, r := range recs {
		out[i] = ReportDevice{InfoRecord: r, BlkDevName: "dm-" + u32(r.Minor)}
		switch r.Name {
		case "docker-8:1-1048612-pool":
			out[i].Deps = []ReportDep{{Major: 7, Minor: 1, BlkName: "loop1"}, {Major: 7, Minor: 0, BlkName: "loop0"}}
			out[i].UsedBy = []ReportDep{
				{Major: 253, Minor: 1, Name: "docker-8:1-1048612-base", BlkName: "dm-1"},
				{Major: 253, Minor: 7, Name: "going", BlkName: "dm-7"},
				{Major: 253, Minor: 3, Name: "snap", BlkName: "dm-3"},
			}
		case "docker-8:1-1048612-base", "going", "snap":
			out[i].Deps = []ReportDep{pool}
		case "vg0-lv_data":
			out[i].Deps = []ReportDep{{Major: 8, Minor: 32, BlkName: "sdc"}, {Major: 8, Minor: 16, BlkName: "sdb"}}
		}
	}
	return out
}

// tableTargets returns each device's live table, as DM_TABLE_STATUS
// reports it.
func tableTargets() map[string][]TableTarget {
	return map[string][]TableTarget{
		"broken":                  {{0, 2048, "error", ""}},
		"docker-8:1-1048612-base": {{0, 20971520, "thin", "253:0 0"}},
		"docker-8:1-1048612-pool": {{0, 209715200, "thin-pool", "7:1 7:0 128 32768 1 skip_block_zeroing"}},
		"going":                   {{0, 20971520, "thin", "253:0 2"}},
		"ro-dev":                  {{0, 409600, "crypt", "aes-xts-plain64 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 0 7:2 0 1 allow_discards"}},
		"snap":                    {{0, 20971520, "thin", "253:0 1"}},
		"vg0-lv_data":             {{0, 2048, "linear", "8:16 2048"}, {2048, 4096, "linear", "8:32 2048"}},
	}
}

func tables() []TableRecord {
	byName := tableTargets()
	devs := devices()
	out := make([]TableRecord, len(devs))
	for i, d := range devs {
		out[i] = TableRecord{Device: DeviceOf(d.Name, d.UUID, d.Dev), ReadOnly: d.ReadOnly(), Targets: byName[d.Name]}
	}
	return out
}

// statuses returns each device's status, with the pool's and the thins'
// figures parsed.
func statuses() []StatusRecord {
	byName := map[string][]StatusTarget{
		"broken":                  {{0, 2048, "error", ""}},
		"docker-8:1-1048612-base": {{0, 20971520, "thin", "20480 20479"}},
		"docker-8:1-1048612-pool": {{0, 209715200, "thin-pool", "1 159/524288 28/1638400 - rw discard_passdown queue_if_no_space - 1024 "}},
		"going":                   {{0, 20971520, "thin", "0 -"}},
		"ro-dev":                  {{0, 409600, "crypt", ""}},
		"snap":                    {{0, 20971520, "thin", "2048 2047"}},
		"vg0-lv_data":             {{0, 2048, "linear", ""}, {2048, 4096, "linear", ""}},
	}
	devs := devices()
	out := make([]StatusRecord, len(devs))
	for i, d := range devs {
		r := StatusRecord{Device: DeviceOf(d.Name, d.UUID, d.Dev), Suspended: d.Suspended(), ReadOnly: d.ReadOnly(),
			OpenCount: d.OpenCount, Targets: byName[d.Name], Mountpoints: []string{}}
		for _, t := range r.Targets {
			r.SizeBytes += t.LengthSectors * 512
		}
		if len(r.Targets) > 0 {
			r.Type = OptString(r.Targets[0].Type)
		}
		switch d.Name {
		case "docker-8:1-1048612-pool":
			r.Pool = &PoolUsage{TransactionID: 1, BlockSizeBytes: 65536,
				DataUsedBytes: 28 * 65536, DataTotalBytes: 1638400 * 65536, DataUsedPercent: Percent(28, 1638400),
				MetadataUsedBytes: 159 * 4096, MetadataTotalBytes: 524288 * 4096, MetadataUsedPercent: Percent(159, 524288),
				Mode: "rw", Discard: "discard_passdown"}
		case "docker-8:1-1048612-base":
			h := uint64(20479)
			r.Thin = &ThinUsage{MappedBytes: 20480 * 512, HighestMappedSector: &h}
			r.Mountpoints = []string{"/var/lib/docker/devicemapper/mnt/base dir"}
		case "going":
			r.Thin = &ThinUsage{}
		}
		out[i] = r
	}
	return out
}

func names() []ListRecord {
	devs := devices()
	out := make([]ListRecord, len(devs))
	for i, d := range devs {
		out[i] = ListRecordOf(dmctl.NameEntry{Name: d.Name, Dev: d.Dev, EventNr: d.EventNr, UUID: d.UUID})
	}
	return out
}

func deps() []DepsRecord {
	dep := func(major, minor uint32, name string) Dependency {
		return Dependency{Major: major, Minor: minor, Name: OptString(name)}
	}
	return []DepsRecord{
		{Device: DeviceOf("broken", "", dmctl.MakeDev(253, 8)), Dependencies: []Dependency{}},
		{Device: DeviceOf("docker-8:1-1048612-base", "", dmctl.MakeDev(253, 1)), Dependencies: []Dependency{dep(253, 0, "docker-8:1-1048612-pool")}},
		{Device: DeviceOf("docker-8:1-1048612-pool", "", dmctl.MakeDev(253, 0)), Dependencies: []Dependency{dep(7, 1, "loop1"), dep(7, 0, "loop0")}},
		{Device: DeviceOf("vg0-lv_data", "LVM-x", dmctl.MakeDev(253, 2)), Dependencies: []Dependency{dep(8, 32, "sdc"), dep(8, 16, "")}},
	}
}

func targetVersions() []TargetRecord {
	return []TargetRecord{
		{"thin-pool", "1.22.0"},
		{"thin", "1.22.0"},
		{"crypt", "1.24.0"},
		{"striped", "1.6.0"},
		{"linear", "1.4.0"},
		{"error", "1.6.0"},
		{"a-target-name-longer-than-16", "10.0.12"},
	}
}

// tree is a loop-backed pool as lsblk would draw it, from the data file
// down to a filesystem on a thin device.
func tree() []TreeNode {
	const gib = 1 << 30
	node := func(name, typ string, size uint64, major, minor uint32, children ...TreeNode) TreeNode {
		n := TreeNode{Name: name, Type: typ, SizeBytes: size, Mountpoints: []string{}, Children: children}
		n.SetDev(major, minor)
		return n
	}
	thin := func(name string, minor uint32, mnt string, mapped uint64, children ...TreeNode) TreeNode {
		n := node(name, "thin", 10*gib, 253, minor, children...)
		n.SetData(mapped, 10*gib)
		if mnt != "" {
			n.Mountpoints = []string{mnt}
		}
		return n
	}
	crypt := node("base-crypt", "crypt", 10*gib-2<<20, 253, 9)
	crypt.ReadOnly = true
	pool := node("docker-8:1-1048612-pool", "thin-pool", 100*gib, 253, 0,
		thin("docker-8:1-1048612-base", 1, "", 10485760, crypt),
		thin("docker-8:1-1048612-5f1e", 2, "/var/lib/docker/devicemapper/mnt/5f1e", 0))
	pool.SetData(11800000, 100*gib)
	pool.SetMetadata(581632, 2*gib)
	poolCopy := pool
	poolCopy.Children = []TreeNode{}
	empty := node("empty-pool", "thin-pool", 0, 253, 10)
	empty.SetData(0, 0)
	return []TreeNode{
		{Name: "/var/lib/docker/devicemapper/devicemapper/data", SizeBytes: 100 * gib, Type: "file", Mountpoints: []string{},
			Children: []TreeNode{node("loop0", "loop", 100*gib, 7, 0, pool)}},
		{Name: "/var/lib/docker/devicemapper/devicemapper/metadata", SizeBytes: 2 * gib, Type: "file", Mountpoints: []string{},
			Children: []TreeNode{node("loop1", "loop", 2*gib, 7, 1, poolCopy)}},
		empty,
	}
}

func poolRecord() PoolRecord {
	bs := uint64(65536)
	return PoolRecord{PoolName: "docker-8:1-1048612-pool", Prefix: "docker-8:1-1048612", Layout: "loop", Active: true,
		BlockSizeBytes: &bs, Devices: 3, DataDevice: "/dev/loop0", MetadataDevice: "/dev/loop1",
		DataLoopFile: "/var/lib/dmctl/devicemapper/data", MetadataLoopFile: "/var/lib/dmctl/devicemapper/metadata",
		Root: "/var/lib/dmctl", BaseDevicePath: "/dev/mapper/docker-8:1-1048612-base"}
}

func poolInfoRecord() PoolInfoRecord {
	u := func(n uint64) *uint64 { return &n }
	no := false
	return PoolInfoRecord{
		PoolName: "docker-253:1-1048612-pool", Layout: "loop", BlockSizeBytes: 65536, BaseDeviceSizeBytes: 10737418240,
		BackingFilesystem: "xfs", DataDevice: "/dev/loop0", MetadataDevice: "/dev/loop1",
		DataLoopFile:     "/var/lib/docker/devicemapper/devicemapper/data",
		MetadataLoopFile: "/var/lib/docker/devicemapper/devicemapper/metadata",
		DataUsedBytes:    u(11796480), DataTotalBytes: u(107374182400), DataAvailableBytes: u(48200000000),
		MetadataUsedBytes: u(581632), MetadataTotalBytes: u(2147483648), MetadataAvailableBytes: u(2146902016),
		MinFreeSpaceBytes: u(10737418240), DeferredRemovalEnabled: true, DeferredDeletionEnabled: true,
		LibraryVersion: "dmctl v0.1.0 (pure-Go ioctl)", DriverVersion: "4.47.0", ThinPoolTargetVersion: "1.23.0", Mode: "rw",
		NeedsCheck: &no, TransactionID: u(0),
	}
}

func snapshotRecords() []SnapshotRecord {
	mapped, excl, shared := uint64(10485760), uint64(0), uint64(10485760)
	return []SnapshotRecord{
		{ID: "base", Name: "docker-8:1-1048612-base", ThinID: 0, SizeBytes: 10 << 30, MappedBytes: &mapped,
			ExclusiveBytes: &excl, SharedBytes: &shared, Active: true, DevicePath: "/dev/mapper/docker-8:1-1048612-base",
			Mountpoints: []string{}},
		{ID: "img", Name: "docker-8:1-1048612-img", ThinID: 1, Origin: "base", SizeBytes: 10 << 30, TransactionID: 1,
			CreatedAt: OptTime{time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}, DevicePath: "/dev/mapper/docker-8:1-1048612-img"},
		{ID: "ctr", Name: "docker-8:1-1048612-ctr", ThinID: 2, Origin: "img", SizeBytes: 10 << 30, TransactionID: 2,
			MappedBytes: &mapped, Active: true, Deleted: true, DevicePath: "/dev/mapper/docker-8:1-1048612-ctr",
			Mountpoints: []string{"/var/lib/dmctl/mnt/ctr", "/srv/ctr"}},
	}
}

func trimRecords() []TrimRecord {
	before, after, reclaimed := uint64(96<<20), uint64(32<<20), uint64(64<<20)
	susp := int64(12345)
	return []TrimRecord{
		{DataLoopFile: "/var/lib/dmctl/devicemapper/data", FilesystemsTrimmed: []FilesystemTrim{{"/var/lib/dmctl/mnt/ctr", 1 << 20}},
			FreeDataBlocks: 1000, FreeDataBytes: 1000 * 65536, FreeRuns: 3,
			AllocatedBeforeBytes: &before, AllocatedAfterBytes: &after, ReclaimedBytes: &reclaimed, SuspendedMicros: &susp},
		{DryRun: true, DataLoopFile: "/var/lib/dmctl/devicemapper/data", FreeDataBlocks: 1000, FreeDataBytes: 1000 * 65536,
			FreeRuns: 3, AllocatedBeforeBytes: &before, ReclaimedBytes: &reclaimed},
		{DataDevice: "/dev/sdb", FreeDataBlocks: 10, FreeDataBytes: 10 * 65536, FreeRuns: 1, SuspendedMicros: &susp},
	}
}

func checkRecords() []CheckRecord {
	return []CheckRecord{
		{PoolName: "docker-8:1-1048612-pool", Consistent: true, TransactionID: 4, ThinIDs: 4, DeviceFiles: 3,
			Findings: []CheckFinding{{Kind: "foreign-thin-id", Subject: "thin id 9", Detail: "another program's thin id", Notice: true}}},
		{PoolName: "docker-8:1-1048612-pool", TransactionID: 4, ThinIDs: 3, DeviceFiles: 2,
			Repaired: []string{"rolled back transaction 5 (device ctr)"},
			Findings: []CheckFinding{
				{Kind: "orphan-thin", Subject: "thin id 7", Detail: "no device file names thin id 7", Repair: "delete thin id 7", DeletesData: true},
				{Kind: "foreign-thin-id", Subject: "thin id 9", Detail: "another program's thin id", Notice: true},
				{Kind: "needs-check", Subject: "docker-8:1-1048612-pool", Detail: "the pool's metadata needs thin_check"},
			}},
	}
}
