package dmctl

import (
	"path/filepath"
	"reflect"
	"testing"
)

// Replies captured from a real kernel (ioctl 4.47.0, Linux 6.1, in the
// QEMU guest of scripts/vmexec) by TestKernelCaptureReplies: the data
// areas, from data_start to data_size, of each kind of reply. The devices
// were: loop0 7:0, loop1 7:1, pool metadata 7:2 and data 7:3; dm devices
// named capturePrefix plus "" and "x" to "xxxxxxxx" (zero tables, 254:0 to
// 254:8, every other one with a uuid, "xx" renamed twice), "multi" (254:9:
// linear, zero, error, striped), "pool" (254:10) and "thin" (254:11,
// 64 KiB written).

const capturePrefix = "dmtest-f58f8ef4-TestKernelCaptureReplies-"

func readReply(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readHexFile(filepath.Join("testdata", "replies", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func capturedNames(uuids bool) []NameEntry {
	uuid := func(s string) string {
		if uuids {
			return s
		}
		return ""
	}
	x := func(n int) string { return capturePrefix + "xxxxxxxx"[:n] }
	return []NameEntry{
		{Name: capturePrefix, Dev: MakeDev(254, 0), UUID: uuid("DMCTL-0")},
		{Name: capturePrefix + "multi", Dev: MakeDev(254, 9)},
		{Name: capturePrefix + "pool", Dev: MakeDev(254, 10), EventNr: 1},
		{Name: capturePrefix + "thin", Dev: MakeDev(254, 11)},
		{Name: x(1), Dev: MakeDev(254, 1)},
		{Name: x(2), Dev: MakeDev(254, 2), EventNr: 2, UUID: uuid("DMCTL-2")},
		{Name: x(3), Dev: MakeDev(254, 3)},
		{Name: x(4), Dev: MakeDev(254, 4), UUID: uuid("DMCTL-4")},
		{Name: x(5), Dev: MakeDev(254, 5)},
		{Name: x(6), Dev: MakeDev(254, 6), UUID: uuid("DMCTL-6")},
		{Name: x(7), Dev: MakeDev(254, 7)},
		{Name: x(8), Dev: MakeDev(254, 8), UUID: uuid("DMCTL-8")},
	}
}

func TestCapturedNameList(t *testing.T) {
	for _, tc := range []struct {
		file  string
		uuids bool
	}{{"list", false}, {"list-uuids", true}} {
		data := readReply(t, tc.file)
		got, err := decodeNameList(data)
		if err != nil {
			t.Fatalf("decodeNameList(%s) = %v", tc.file, err)
		}
		want := capturedNames(tc.uuids)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeNameList(%s) =\n%+v\nwant\n%+v", tc.file, got, want)
		}
		// The kernel's layout is the one the test builder makes.
		var devs []kernelName
		for i, e := range capturedNames(true) {
			devs = append(devs, kernelName{name: e.Name, dev: e.Dev, eventNr: want[i].EventNr, uuid: e.UUID})
		}
		if built := kernelNameList(devs, tc.uuids); string(built) != string(data) {
			t.Errorf("kernelNameList(%s devices) differs from the captured reply:\n%s\nwant\n%s", tc.file, hexLines(built), hexLines(data))
		}
	}
}

func TestCapturedTargets(t *testing.T) {
	tests := []struct {
		file  string
		count uint32
		want  []Target
	}{
		{"status-multi", 4, []Target{
			{0, 2048, "linear", ""},
			{2048, 1024, "zero", ""},
			{3072, 8, "error", ""},
			{3080, 4096, "striped", "2 7:0 7:1 1 AA"},
		}},
		// DEV_WAIT returns the same status as TABLE_STATUS.
		{"wait-multi", 4, []Target{
			{0, 2048, "linear", ""},
			{2048, 1024, "zero", ""},
			{3072, 8, "error", ""},
			{3080, 4096, "striped", "2 7:0 7:1 1 AA"},
		}},
		{"table-multi", 4, []Target{
			{0, 2048, "linear", "7:0 0"},
			{2048, 1024, "zero", ""},
			{3072, 8, "error", ""},
			{3080, 4096, "striped", "2 128 7:0 2048 7:1 0"},
		}},
		{"status-pool", 1, []Target{{0, 131072, "thin-pool", "0 419/4096 1/1024 - rw discard_passdown queue_if_no_space - 1024 "}}},
		{"table-pool", 1, []Target{{0, 131072, "thin-pool", "7:2 7:3 128 32768 1 skip_block_zeroing "}}},
		{"status-thin", 1, []Target{{0, 2048, "thin", "128 127"}}},
	}
	for _, tc := range tests {
		data := readReply(t, tc.file)
		got, err := decodeTargets(data, tc.count)
		if err != nil {
			t.Fatalf("decodeTargets(%s, %d) = %v", tc.file, tc.count, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeTargets(%s, %d) =\n%q\nwant\n%q", tc.file, tc.count, got, tc.want)
		}
		// The kernel's layout is the one the test builder makes.
		if built := kernelStatus(tc.want); string(built) != string(data) {
			t.Errorf("kernelStatus(%s targets) differs from the captured reply:\n%s\nwant\n%s", tc.file, hexLines(built), hexLines(data))
		}
		if _, err := decodeTargets(data, tc.count+1); err == nil {
			t.Errorf("decodeTargets(%s, %d) = nil error, want one (one target too many)", tc.file, tc.count+1)
		}
	}
}

func TestCapturedDeps(t *testing.T) {
	tests := []struct {
		file string
		want []Dev
	}{
		{"deps-multi", []Dev{MakeDev(7, 1), MakeDev(7, 0)}},
		{"deps-pool", []Dev{MakeDev(7, 3), MakeDev(7, 2)}},
		{"deps-zero", []Dev{}},
	}
	for _, tc := range tests {
		got, err := decodeDeps(readReply(t, tc.file))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeDeps(%s) = %v, %v; want %v", tc.file, got, err, tc.want)
		}
	}
}

func TestCapturedVersions(t *testing.T) {
	data := readReply(t, "versions")
	got, err := decodeVersions(data)
	want := []TargetVersion{
		{"zero", Version{1, 1, 0}},
		{"delay", Version{1, 3, 0}},
		{"flakey", Version{1, 5, 0}},
		{"thin-pool", Version{1, 22, 0}},
		{"thin", Version{1, 22, 0}},
		{"striped", Version{1, 6, 0}},
		{"linear", Version{1, 4, 0}},
		{"error", Version{1, 5, 0}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("decodeVersions(versions) = %v, %v; want %v", got, err, want)
	}
	// The kernel over-counts data_size by up to 7 bytes a record, as the
	// test builder does.
	if built := kernelVersions(want); len(built) != len(data) {
		t.Errorf("kernelVersions: %d bytes, the captured reply %d", len(built), len(data))
	}
	got, err = decodeVersions(readReply(t, "target-version-thin-pool"))
	if want := []TargetVersion{{"thin-pool", Version{1, 22, 0}}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("decodeVersions(target-version-thin-pool) = %v, %v; want %v", got, err, want)
	}
}

func TestCapturedMessage(t *testing.T) {
	got, ok := nulString(readReply(t, "message-stats-list"))
	if want := "0: 0+7176 3588 - -\n"; !ok || got != want {
		t.Errorf("message output = %q, %v; want %q", got, ok, want)
	}
}
