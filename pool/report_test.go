package pool

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestHumanSize(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{999, "999B"},
		{1000, "1kB"},
		{1024, "1.024kB"},
		{65536, "65.54kB"},
		{524288, "524.3kB"},
		{581632, "581.6kB"},
		{999999, "1000kB"}, // rounding after the unit is chosen, as go-units does
		{1000000, "1MB"},
		{1048576, "1.049MB"},
		{11796480, "11.8MB"},
		{2147483648, "2.147GB"},
		{10737418240, "10.74GB"},
		{107374182400, "107.4GB"},
		{3.42e9, "3.42GB"},
		{5.372e12, "5.372TB"},
		{2.22e15, "2.22PB"},
		{1e28, "1e+04YB"},
	}
	for _, tc := range tests {
		if got := HumanSize(tc.in); got != tc.want {
			t.Errorf("HumanSize(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMinFreeSpaceBytes(t *testing.T) {
	tests := []struct {
		total, pct, block, want uint64
	}{
		{1638400, 10, 65536, 10737418240},
		{15, 10, 65536, 65536}, // 1.5 blocks rounds down
		{9, 10, 65536, 0},
		{1000, 0, 65536, 0},
	}
	for _, tc := range tests {
		if got := MinFreeSpaceBytes(tc.total, tc.pct, tc.block); got != tc.want {
			t.Errorf("MinFreeSpaceBytes(%d, %d, %d) = %d, want %d", tc.total, tc.pct, tc.block, got, tc.want)
		}
	}
}

// loopPoolInfo is a docker loop-lvm pool with Docker's defaults, built from
// a pool status the way the pool package's callers do.
func loopPoolInfo(t *testing.T) DockerInfo {
	t.Helper()
	st, err := ParsePoolStatus("0 142/524288 180/1638400 - rw discard_passdown queue_if_no_space - 1024 ")
	if err != nil {
		t.Fatal(err)
	}
	block := st.BlockBytes(100 << 30 / SectorBytes)
	d := DockerInfo{
		PoolName:                "docker-253:1-1048612-pool",
		BlockBytes:              block,
		BaseDeviceSize:          10 << 30,
		BackingFilesystem:       "xfs",
		UdevSyncSupported:       true,
		DataFile:                "/dev/loop0",
		MetadataFile:            "/dev/loop1",
		DataLoopFile:            "/var/lib/docker/devicemapper/devicemapper/data",
		MetadataLoopFile:        "/var/lib/docker/devicemapper/devicemapper/metadata",
		DataLoopFSFree:          48_200_000_000,
		MetadataLoopFSFree:      48_200_000_000,
		DataLoopFSFreeKnown:     true,
		MetadataLoopFSFreeKnown: true,
		MinFreeSpace:            MinFreeSpaceBytes(st.TotalDataBlocks, 10, block),
		DeferredRemovalEnabled:  true,
		DeferredDeletionEnabled: true,
		LibraryVersion:          "1.02.175 (2021-01-08)",
	}
	d.DataUsed, d.DataTotal = st.DataBytes(block)
	d.MetadataUsed, d.MetadataTotal = st.MetadataBytes()
	return d
}

// renderDockerInfo prints pairs the way the docker CLI does.
func renderDockerInfo(p InfoPairs) string {
	var b strings.Builder
	b.WriteString(" Storage Driver: devicemapper\n")
	for _, kv := range p {
		fmt.Fprintf(&b, "  %s: %s\n", kv.Key, kv.Value)
	}
	return b.String()
}

// The devicemapper block of `docker info` for a loop-lvm pool with all
// defaults, as Docker 17.10 to 24.0 print it.
const dockerInfoGolden = ` Storage Driver: devicemapper
  Pool Name: docker-253:1-1048612-pool
  Pool Blocksize: 65.54kB
  Base Device Size: 10.74GB
  Backing Filesystem: xfs
  Udev Sync Supported: true
  Data file: /dev/loop0
  Metadata file: /dev/loop1
  Data loop file: /var/lib/docker/devicemapper/devicemapper/data
  Metadata loop file: /var/lib/docker/devicemapper/devicemapper/metadata
  Data Space Used: 11.8MB
  Data Space Total: 107.4GB
  Data Space Available: 48.2GB
  Metadata Space Used: 581.6kB
  Metadata Space Total: 2.147GB
  Metadata Space Available: 2.147GB
  Thin Pool Minimum Free Space: 10.74GB
  Deferred Removal Enabled: true
  Deferred Deletion Enabled: true
  Deferred Deleted Device Count: 0
  Library Version: 1.02.175 (2021-01-08)
`

func TestDockerInfoGolden(t *testing.T) {
	d := loopPoolInfo(t)
	if got := renderDockerInfo(d.Pairs()); got != dockerInfoGolden {
		t.Errorf("DockerInfo.Pairs() renders\n%s\nwant\n%s", got, dockerInfoGolden)
	}
	want := []string{
		"WARNING: devicemapper: usage of loopback devices is strongly discouraged for production use.",
		"         Use `--storage-opt dm.thinpooldev` to specify a custom block storage device.",
	}
	if got := d.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("DockerInfo.Warnings() = %q, want %q", got, want)
	}
}

func TestDockerInfoBlockDevicesAndExtras(t *testing.T) {
	d := DockerInfo{
		PoolName:              "docker-thinpool",
		BlockBytes:            524288,
		BaseDeviceSize:        10 << 30,
		BackingFilesystem:     "ext4",
		DataUsed:              100 * 524288,
		DataTotal:             1000 * 524288,
		DataLoopFSFree:        1, // ignored: no loop file
		DataLoopFSFreeKnown:   true,
		MetadataUsed:          4096,
		MetadataTotal:         8192,
		KernelDriverVersion:   "4.48.0",
		ThinPoolTargetVersion: "1.23.0",
		PoolMode:              "ro",
		PoolNeedsCheck:        true,
		TransactionID:         42,
	}
	var keys []string
	values := map[string]any{}
	for _, kv := range d.Pairs() {
		keys = append(keys, kv.Key)
		values[kv.Key] = kv.Value
	}
	wantKeys := []string{
		"Pool Name", "Pool Blocksize", "Base Device Size", "Backing Filesystem", "Udev Sync Supported",
		"Data Space Used", "Data Space Total", "Data Space Available",
		"Metadata Space Used", "Metadata Space Total", "Metadata Space Available",
		"Thin Pool Minimum Free Space", "Deferred Removal Enabled", "Deferred Deletion Enabled",
		"Deferred Deleted Device Count",
		"Kernel Driver Version", "Thin Pool Target Version", "Pool Mode", "Pool Needs Check", "Transaction ID",
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("DockerInfo.Pairs() keys = %q, want %q", keys, wantKeys)
	}
	for k, want := range map[string]string{
		"Pool Blocksize":        "524.3kB",
		"Data Space Available":  "471.9MB",
		"Udev Sync Supported":   "false",
		"Pool Needs Check":      "true",
		"Transaction ID":        "42",
		"Kernel Driver Version": "4.48.0",
	} {
		if values[k] != want {
			t.Errorf("DockerInfo.Pairs()[%q] = %q, want %q", k, values[k], want)
		}
	}
	if w := d.Warnings(); w != nil {
		t.Errorf("DockerInfo.Warnings() = %q, want nil", w)
	}
}

func TestDockerInfoAvailable(t *testing.T) {
	tests := []struct {
		name      string
		total     uint64
		used      uint64
		loop      string
		free      uint64
		known     bool
		wantAvail uint64
	}{
		{"block device", 1000, 100, "", 10, true, 900},
		{"loop file, filesystem roomier", 1000, 100, "/data", 5000, true, 900},
		{"loop file, filesystem fuller", 1000, 100, "/data", 10, true, 10},
		{"loop file, statfs failed", 1000, 100, "/data", 0, false, 900},
		{"used over total", 100, 1000, "", 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DockerInfo{
				DataTotal: tc.total, DataUsed: tc.used, DataLoopFile: tc.loop, DataLoopFSFree: tc.free, DataLoopFSFreeKnown: tc.known,
				MetadataTotal: tc.total, MetadataUsed: tc.used, MetadataLoopFile: tc.loop, MetadataLoopFSFree: tc.free, MetadataLoopFSFreeKnown: tc.known,
			}
			if got := d.DataAvailable(); got != tc.wantAvail {
				t.Errorf("DataAvailable() = %d, want %d", got, tc.wantAvail)
			}
			if got := d.MetadataAvailable(); got != tc.wantAvail {
				t.Errorf("MetadataAvailable() = %d, want %d", got, tc.wantAvail)
			}
		})
	}
}

func TestDockerInfoJSON(t *testing.T) {
	d := loopPoolInfo(t)
	d.KernelDriverVersion = "4.48.0"
	d.PoolMode = "rw"
	got, err := json.Marshal(d.JSONPairs())
	if err != nil {
		t.Fatalf("json.Marshal(JSONPairs()) error = %v", err)
	}
	want := `{"pool_name":"docker-253:1-1048612-pool","pool_blocksize_bytes":65536,` +
		`"base_device_size_bytes":10737418240,"backing_filesystem":"xfs","udev_sync_supported":true,` +
		`"data_file":"/dev/loop0","metadata_file":"/dev/loop1",` +
		`"data_loop_file":"/var/lib/docker/devicemapper/devicemapper/data",` +
		`"metadata_loop_file":"/var/lib/docker/devicemapper/devicemapper/metadata",` +
		`"data_space_used_bytes":11796480,"data_space_total_bytes":107374182400,` +
		`"data_space_available_bytes":48200000000,"metadata_space_used_bytes":581632,` +
		`"metadata_space_total_bytes":2147483648,"metadata_space_available_bytes":2146902016,` +
		`"thin_pool_minimum_free_space_bytes":10737418240,"deferred_removal_enabled":true,` +
		`"deferred_deletion_enabled":true,"deferred_deleted_device_count":0,` +
		`"library_version":"1.02.175 (2021-01-08)","kernel_driver_version":"4.48.0",` +
		`"thin_pool_target_version":"","pool_mode":"rw","pool_needs_check":false,"transaction_id":0,"pool_suspended":false}`
	if string(got) != want {
		t.Errorf("json.Marshal(JSONPairs()) =\n%s\nwant\n%s", got, want)
	}
}

// TestDockerInfoUnknown checks that a pool that reports no usage (fail
// mode) shows its figures as unknown, never as zeros, and that a
// suspended pool says so.
func TestDockerInfoUnknown(t *testing.T) {
	d := loopPoolInfo(t)
	d.PoolMode, d.SpaceUnknown, d.Suspended = PoolModeFail, true, true
	text := map[string]any{}
	for _, p := range d.Pairs() {
		text[p.Key] = p.Value
	}
	for _, k := range []string{"Data Space Used", "Data Space Total", "Data Space Available", "Metadata Space Used",
		"Metadata Space Total", "Metadata Space Available", "Thin Pool Minimum Free Space", "Pool Needs Check", "Transaction ID"} {
		if text[k] != "unknown" {
			t.Errorf("Pairs() %s = %v, want unknown", k, text[k])
		}
	}
	if text["Pool Mode"] != "fail" || text["Pool State"] != "SUSPENDED" {
		t.Errorf("Pairs() Pool Mode, Pool State = %v, %v, want fail, SUSPENDED", text["Pool Mode"], text["Pool State"])
	}
	js := map[string]any{}
	for _, p := range d.JSONPairs() {
		js[p.Key] = p.Value
	}
	for _, k := range []string{"data_space_used_bytes", "metadata_space_total_bytes", "transaction_id", "pool_needs_check"} {
		if v, ok := js[k]; !ok || v != nil {
			t.Errorf("JSONPairs() %s = %v, want null", k, v)
		}
	}
	if w := d.Warnings(); len(w) == 0 || !strings.Contains(w[len(w)-1], "SUSPENDED") {
		t.Errorf("Warnings() = %q, want a line on the suspended pool", w)
	}
}

func TestInfoPairsMarshalJSONError(t *testing.T) {
	p := InfoPairs{{"bad", func() {}}}
	if b, err := json.Marshal(p); err == nil {
		t.Errorf("json.Marshal(%v) = %s, want error", p, b)
	}
}
