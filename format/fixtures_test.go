package format

import "github.com/dmctl/dmctl/dmctl"

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
		recs[i] = InfoRecord{DeviceInfo: d, ReadAhead: 256}
	}
	return recs
}

// tables returns each device's live table, as DM_TABLE_STATUS reports it.
func tables() []DeviceTargets {
	byName := map[string][]dmctl.Target{
		"broken":                  {{Start: 0, Length: 2048, Type: "error"}},
		"docker-8:1-1048612-base": {{Start: 0, Length: 20971520, Type: "thin", Params: "253:0 0"}},
		"docker-8:1-1048612-pool": {{Start: 0, Length: 209715200, Type: "thin-pool", Params: "7:1 7:0 128 32768 1 skip_block_zeroing"}},
		"going":                   {{Start: 0, Length: 20971520, Type: "thin", Params: "253:0 2"}},
		"ro-dev":                  {{Start: 0, Length: 409600, Type: "crypt", Params: "aes-xts-plain64 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 0 7:2 0 1 allow_discards"}},
		"snap":                    {{Start: 0, Length: 20971520, Type: "thin", Params: "253:0 1"}},
		"vg0-lv_data":             {{Start: 0, Length: 2048, Type: "linear", Params: "8:16 2048"}, {Start: 2048, Length: 4096, Type: "linear", Params: "8:32 2048"}},
	}
	return withTargets(byName)
}

// statuses returns each device's status lines.
func statuses() []DeviceTargets {
	byName := map[string][]dmctl.Target{
		"broken":                  {{Start: 0, Length: 2048, Type: "error"}},
		"docker-8:1-1048612-base": {{Start: 0, Length: 20971520, Type: "thin", Params: "20480 20479"}},
		"docker-8:1-1048612-pool": {{Start: 0, Length: 209715200, Type: "thin-pool", Params: "1 159/524288 28/1638400 - rw discard_passdown queue_if_no_space - 1024"}},
		"going":                   {{Start: 0, Length: 20971520, Type: "thin", Params: "0 -"}},
		"ro-dev":                  {{Start: 0, Length: 409600, Type: "crypt"}},
		"snap":                    {{Start: 0, Length: 20971520, Type: "thin", Params: "2048 2047"}},
		"vg0-lv_data":             {{Start: 0, Length: 2048, Type: "linear"}, {Start: 2048, Length: 4096, Type: "linear"}},
	}
	return withTargets(byName)
}

func withTargets(byName map[string][]dmctl.Target) []DeviceTargets {
	devs := devices()
	out := make([]DeviceTargets, len(devs))
	for i, d := range devs {
		out[i] = DeviceTargets{Name: d.Name, Info: d, Targets: byName[d.Name]}
	}
	return out
}

func names() []dmctl.NameEntry {
	devs := devices()
	out := make([]dmctl.NameEntry, len(devs))
	for i, d := range devs {
		out[i] = dmctl.NameEntry{Name: d.Name, Dev: d.Dev, EventNr: d.EventNr, UUID: d.UUID}
	}
	return out
}

func deps() []DeviceDeps {
	return []DeviceDeps{
		{Name: "broken"},
		{Name: "docker-8:1-1048612-base", Deps: []dmctl.Dev{dmctl.MakeDev(253, 0)}, DepNames: []string{"docker-8:1-1048612-pool"}},
		{Name: "docker-8:1-1048612-pool", Deps: []dmctl.Dev{dmctl.MakeDev(7, 1), dmctl.MakeDev(7, 0)}, DepNames: []string{"loop1", "loop0"}},
		{Name: "vg0-lv_data", Deps: []dmctl.Dev{dmctl.MakeDev(8, 32), dmctl.MakeDev(8, 16)}, DepNames: []string{"sdc", ""}},
	}
}

func targetVersions() []dmctl.TargetVersion {
	return []dmctl.TargetVersion{
		{Name: "thin-pool", Version: dmctl.Version{1, 22, 0}},
		{Name: "thin", Version: dmctl.Version{1, 22, 0}},
		{Name: "crypt", Version: dmctl.Version{1, 24, 0}},
		{Name: "striped", Version: dmctl.Version{1, 6, 0}},
		{Name: "linear", Version: dmctl.Version{1, 4, 0}},
		{Name: "error", Version: dmctl.Version{1, 6, 0}},
		{Name: "a-target-name-longer-than-16", Version: dmctl.Version{10, 0, 12}},
	}
}

// tree is a loop-backed pool as lsblk would draw it, from the data file
// down to a filesystem on a thin device.
func tree() []TreeNode {
	const gib = 1 << 30
	thin := func(name, majmin, mnt string, mapped uint64, children ...TreeNode) TreeNode {
		return TreeNode{Name: name, MajMin: majmin, Size: 10 * gib, Type: "thin", Mountpoint: mnt,
			Data: &Usage{Used: mapped}, Children: children}
	}
	pool := TreeNode{
		Name: "docker-8:1-1048612-pool", MajMin: "253:0", Size: 100 * gib, Type: "thin-pool",
		Data: &Usage{Used: 11800000}, Meta: &Usage{Used: 581632, Total: 2 * gib},
		Children: []TreeNode{
			thin("docker-8:1-1048612-base", "253:1", "", 10485760,
				TreeNode{Name: "base-crypt", MajMin: "253:9", Size: 10*gib - 2<<20, Type: "crypt", ReadOnly: true}),
			thin("docker-8:1-1048612-5f1e", "253:2", "/var/lib/docker/devicemapper/mnt/5f1e", 0),
		},
	}
	return []TreeNode{
		{Name: "/var/lib/docker/devicemapper/devicemapper/data", Size: 100 * gib, Type: "file", Children: []TreeNode{
			{Name: "loop0", MajMin: "7:0", Size: 100 * gib, Type: "loop", Children: []TreeNode{pool}},
		}},
		{Name: "/var/lib/docker/devicemapper/devicemapper/metadata", Size: 2 * gib, Type: "file", Children: []TreeNode{
			{Name: "loop1", MajMin: "7:1", Size: 2 * gib, Type: "loop", Children: []TreeNode{{
				Name: pool.Name, MajMin: pool.MajMin, Size: pool.Size, Type: pool.Type, Data: pool.Data, Meta: pool.Meta,
			}}},
		}},
		{Name: "empty-pool", MajMin: "253:10", Type: "thin-pool", Data: &Usage{}},
	}
}

func dockerInfo() []KV {
	return []KV{
		{Key: "Pool Name", Value: "docker-8:1-1048612-pool"},
		{Key: "Pool Blocksize", Value: "65.54kB", JSONKey: "pool_blocksize_bytes", JSONValue: uint64(65536)},
		{Key: "Udev Sync Supported", Value: "true", JSONValue: true},
		{Key: "Data loop file", Value: "/var/lib/docker/devicemapper/devicemapper/data"},
		{Key: "Data Space Used", Value: "11.8MB", JSONKey: "data_space_used_bytes", JSONValue: uint64(11800000)},
		{Key: "Library Version", Value: `dmctl 0.1.0 (pure-Go ioctl) <"quoted">`},
		{Key: "Features", Value: "skip_block_zeroing", JSONValue: []string{"skip_block_zeroing"}},
	}
}
