package pool

import (
	"reflect"
	"strings"
	"testing"
)

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
	}
	d.DataUsed, d.DataTotal = st.DataBytes(block)
	d.MetadataUsed, d.MetadataTotal = st.MetadataBytes()
	return d
}

// TestDockerInfoFigures checks the figures docker info prints for a
// loop-lvm pool with all defaults (format renders them: 65.54kB, 107.4GB,
// 48.2GB, ...), and the loopback warning.
func TestDockerInfoFigures(t *testing.T) {
	d := loopPoolInfo(t)
	got := []uint64{d.BlockBytes, d.DataUsed, d.DataTotal, d.DataAvailable(), d.MetadataUsed, d.MetadataTotal,
		d.MetadataAvailable(), d.MinFreeSpace}
	want := []uint64{65536, 11796480, 107374182400, 48200000000, 581632, 2147483648, 2146902016, 10737418240}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DockerInfo figures = %v, want %v", got, want)
	}
	wantWarn := []string{
		"WARNING: devicemapper: usage of loopback devices is strongly discouraged for production use.",
		"         Use `--storage-opt dm.thinpooldev` to specify a custom block storage device.",
	}
	if got := d.Warnings(); !reflect.DeepEqual(got, wantWarn) {
		t.Errorf("DockerInfo.Warnings() = %q, want %q", got, wantWarn)
	}
}

// TestDockerInfoBlockDevices checks a pool on block devices: the free
// space of a filesystem does not cap it, and docker info warns of nothing.
func TestDockerInfoBlockDevices(t *testing.T) {
	d := DockerInfo{
		PoolName:            "docker-thinpool",
		BlockBytes:          524288,
		DataUsed:            100 * 524288,
		DataTotal:           1000 * 524288,
		DataLoopFSFree:      1, // ignored: no loop file
		DataLoopFSFreeKnown: true,
	}
	if got, want := d.DataAvailable(), uint64(900*524288); got != want {
		t.Errorf("DataAvailable() = %d, want %d", got, want)
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

// TestDockerInfoSuspendedWarning checks that a suspended pool says so.
func TestDockerInfoSuspendedWarning(t *testing.T) {
	d := loopPoolInfo(t)
	d.Suspended = true
	if w := d.Warnings(); len(w) != 3 || !strings.Contains(w[2], "SUSPENDED") {
		t.Errorf("Warnings() = %q, want the loopback lines and one on the suspended pool", w)
	}
}
