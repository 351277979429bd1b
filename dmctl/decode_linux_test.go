package dmctl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// namesOfLen returns devices named "a", "ab", ... up to n letters: around
// the 8-byte boundary of the record (12 + len + 1).
func namesOfLen(n int, uuids bool) []kernelName {
	var out []kernelName
	for i := 1; i <= n; i++ {
		d := kernelName{
			name:    "abcdefghijklmnopqrstuvwxyz"[:i],
			dev:     MakeDev(253, uint32(i*37)),
			eventNr: uint32(i * 3),
		}
		if uuids && i%3 != 0 { // every third device has no uuid
			d.uuid = "UUID-" + strings.Repeat("u", i)
		}
		out = append(out, d)
	}
	return out
}

func wantEntries(devs []kernelName, events, uuids bool) []NameEntry {
	var out []NameEntry
	for _, d := range devs {
		e := NameEntry{Name: d.name, Dev: d.dev}
		if events {
			e.EventNr = d.eventNr
		}
		if uuids {
			e.UUID = d.uuid
		}
		out = append(out, e)
	}
	return out
}

func TestDecodeNameList(t *testing.T) {
	long := []kernelName{
		{name: strings.Repeat("n", 127), dev: MakeDev(253, 1000), eventNr: 1 << 31, uuid: strings.Repeat("U", 128)},
		{name: "x", dev: MakeDev(4095, 1<<20-1)},
	}
	tests := []struct {
		name string
		data []byte
		want []NameEntry
	}{
		{"no data area", nil, nil},
		{"no device (dev 0)", make([]byte, 8), nil},
		{"no device, old kernel slack", make([]byte, 64), nil},
		{"names 1..9, no uuids asked", kernelNameList(namesOfLen(9, true), false), wantEntries(namesOfLen(9, true), true, false)},
		{"names 1..9 with uuids", kernelNameList(namesOfLen(9, true), true), wantEntries(namesOfLen(9, true), true, true)},
		{"names 1..9, none has a uuid", kernelNameList(namesOfLen(9, false), true), wantEntries(namesOfLen(9, false), true, true)},
		{"one device", kernelNameList(namesOfLen(1, true), true), wantEntries(namesOfLen(1, true), true, true)},
		{"longest name and uuid", kernelNameList(long, true), wantEntries(long, true, true)},
		{"old kernel without event numbers", kernelNameListOld(namesOfLen(9, false)), wantEntries(namesOfLen(9, false), false, false)},
		{"old kernel, one device", kernelNameListOld(namesOfLen(3, false)[2:]), wantEntries(namesOfLen(3, false)[2:], false, false)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeNameList(tc.data)
			if err != nil {
				t.Fatalf("decodeNameList(%s) = %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodeNameList(%s) =\n%+v\nwant\n%+v", tc.name, got, tc.want)
			}
		})
	}
}

func TestDecodeNameListCorrupt(t *testing.T) {
	good := kernelNameList(namesOfLen(4, true), true)
	mod := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"shorter than a dev", []byte{1, 2, 3}},
		{"record cut in its header", good[:10]},
		{"name not terminated", mod(func(b []byte) []byte {
			ne.PutUint32(b[8:], 0) // one record spanning...
			return b[:nameListNameOff+1]
		})},
		{"next points inside the header", mod(func(b []byte) []byte { ne.PutUint32(b[8:], 4); return b })},
		{"next is zero-length record", mod(func(b []byte) []byte { ne.PutUint32(b[8:], 12); return b })},
		{"next beyond the buffer", mod(func(b []byte) []byte { ne.PutUint32(b[8:], uint32(len(b)+8)); return b })},
		{"next huge", mod(func(b []byte) []byte { ne.PutUint32(b[8:], 0xffffffff); return b })},
		{"name runs into the next record", mod(func(b []byte) []byte {
			for i := nameListNameOff; i < 16; i++ {
				b[i] = 'z'
			}
			ne.PutUint32(b[8:], 16)
			return b
		})},
		{"uuid flag without uuid", mod(func(b []byte) []byte {
			// the first record is "a": name at 12..13, event at 16, flags at 20
			ne.PutUint32(b[8:], 24)
			ne.PutUint32(b[20:], nameListHasUUID)
			return b
		})},
		{"truncated in the last uuid", good[:len(good)-8]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeNameList(tc.data)
			if err == nil {
				t.Errorf("decodeNameList(%s) = %+v, nil; want an error", tc.name, got)
			}
		})
	}
}

func TestDecodeTargets(t *testing.T) {
	multi := []Target{
		{0, 2048, "linear", "7:0 0"},
		{2048, 1024, "zero", ""},
		{3072, 8, "error", ""},
		{3080, 1 << 40, "thin-pool", "1 10/4096 0/16384 - rw discard_passdown queue_if_no_space - 1024 "},
		{1<<40 + 3080, 128, "striped", "2 128 7:1 0 7:2 0"},
	}
	tests := []struct {
		name  string
		data  []byte
		count uint32
		want  []Target
	}{
		{"none", nil, 0, []Target{}},
		{"one linear", kernelStatus(multi[:1]), 1, multi[:1]},
		{"empty status text", kernelStatus(multi[1:2]), 1, multi[1:2]},
		{"several", kernelStatus(multi), 5, multi},
		{"fewer than there are", kernelStatus(multi), 2, multi[:2]},
		{"15-byte type", kernelStatus([]Target{{0, 1, "abcdefghijklmno", "x"}}), 1, []Target{{0, 1, "abcdefghijklmno", "x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeTargets(tc.data, tc.count)
			if err != nil {
				t.Fatalf("decodeTargets(%s, %d) = %v", tc.name, tc.count, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodeTargets(%s, %d) =\n%+v\nwant\n%+v", tc.name, tc.count, got, tc.want)
			}
		})
	}
}

func TestDecodeTargetsCorrupt(t *testing.T) {
	two := kernelStatus([]Target{{0, 8, "linear", "7:0 0"}, {8, 8, "zero", ""}})
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), two...)
		f(b)
		return b
	}
	tests := []struct {
		name  string
		data  []byte
		count uint32
	}{
		{"count larger than the buffer", two, 3},
		{"count huge", two, 0xffffffff},
		{"no room for the spec", two[:specSize-1], 1},
		{"text not terminated", two[:specSize+3], 1},
		{"next points backwards", mod(func(b []byte) { ne.PutUint32(b[offSpecNext:], 0) }), 2},
		{"next loops to itself", mod(func(b []byte) { ne.PutUint32(b[offSpecNext:], 0) }), 2},
		{"next beyond the buffer", mod(func(b []byte) { ne.PutUint32(b[offSpecNext:], uint32(len(b))) }), 2},
		{"next huge", mod(func(b []byte) { ne.PutUint32(b[offSpecNext:], 0xfffffff0) }), 2},
		{"second text not terminated", two[:len(two)-1], 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeTargets(tc.data, tc.count)
			if err == nil {
				t.Errorf("decodeTargets(%s, %d) = %+v, nil; want an error", tc.name, tc.count, got)
			}
		})
	}
}

func TestDecodeDeps(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []Dev
	}{
		{"none", kernelDeps(nil), []Dev{}},
		{"one loop", kernelDeps([]Dev{MakeDev(7, 0)}), []Dev{MakeDev(7, 0)}},
		{"pool's two", kernelDeps([]Dev{MakeDev(7, 1), MakeDev(7, 0)}), []Dev{MakeDev(7, 1), MakeDev(7, 0)}},
		{"big numbers", kernelDeps([]Dev{MakeDev(4095, 1<<20-1), MakeDev(259, 300)}), []Dev{MakeDev(4095, 1<<20-1), MakeDev(259, 300)}},
		{"trailing bytes", append(kernelDeps([]Dev{MakeDev(8, 16)}), 1, 2, 3), []Dev{MakeDev(8, 16)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeDeps(tc.data)
			if err != nil {
				t.Fatalf("decodeDeps(%s) = %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodeDeps(%s) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
	bad := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short header", []byte{1, 0, 0, 0}},
		{"count larger than the buffer", kernelDeps([]Dev{1, 2})[:depsHeaderSize+8]},
		{"count huge", []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := decodeDeps(tc.data); err == nil || !errors.Is(err, errTruncated) {
				t.Errorf("decodeDeps(%s) = %v, %v; want a truncated error", tc.name, got, err)
			}
		})
	}
}

func TestDecodeVersions(t *testing.T) {
	all := []TargetVersion{
		{"thin-pool", Version{1, 23, 0}},
		{"thin", Version{1, 23, 0}},
		{"zero", Version{1, 2, 0}},
		{"striped", Version{1, 6, 0}},
		{"linear", Version{1, 4, 0}},
		{"error", Version{1, 6, 0}},
		{"abcdefghijklmno", Version{0xffffffff, 0, 1}},
		{"a", Version{1, 0, 0}},
	}
	tests := []struct {
		name string
		data []byte
		want []TargetVersion
	}{
		{"none", nil, nil},
		{"one", kernelVersions(all[:1]), all[:1]},
		{"several", kernelVersions(all), all},
		{"exact size, no slack", kernelVersions(all[7:])[:versionsHdrSize+2], all[7:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeVersions(tc.data)
			if err != nil {
				t.Fatalf("decodeVersions(%s) = %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decodeVersions(%s) =\n%v\nwant\n%v", tc.name, got, tc.want)
			}
		})
	}
	good := kernelVersions(all[:3])
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	bad := []struct {
		name string
		data []byte
	}{
		{"short record", good[:versionsHdrSize-1]},
		{"name not terminated", good[:versionsHdrSize+3]},
		{"next inside the record header", mod(func(b []byte) { ne.PutUint32(b, 8) })},
		{"next beyond the buffer", mod(func(b []byte) { ne.PutUint32(b, uint32(len(b)-4)) })},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := decodeVersions(tc.data); err == nil {
				t.Errorf("decodeVersions(%s) = %v, nil; want an error", tc.name, got)
			}
		})
	}
}

func TestDecodeReply(t *testing.T) {
	info := DeviceInfo{
		Name:        strings.Repeat("n", 127),
		UUID:        strings.Repeat("u", 128),
		Dev:         MakeDev(253, 4242),
		OpenCount:   -1,
		EventNr:     99,
		TargetCount: 3,
		Flags:       FlagActivePresent | FlagInactivePresent | FlagReadOnly | FlagDeferredRemove,
	}
	data := kernelDeps([]Dev{MakeDev(7, 0)})
	b := kernelReply(info, Version{4, 47, 0}, data, replyBufferSize)
	r, err := decodeReply(b)
	if err != nil {
		t.Fatalf("decodeReply() = %v", err)
	}
	if r.version != (Version{4, 47, 0}) {
		t.Errorf("decodeReply().version = %v, want 4.47.0", r.version)
	}
	if r.info != info {
		t.Errorf("decodeReply().info = %+v, want %+v", r.info, info)
	}
	if string(r.data) != string(data) {
		t.Errorf("decodeReply().data = % x, want % x", r.data, data)
	}

	// A reply without data: the kernel leaves data_size at 305 (no-params
	// requests) while data_start stays 312.
	nodata := kernelReply(info, Version{4, 47, 0}, nil, headerSize)
	ne.PutUint32(nodata[offDataSize:], uint32(offData))
	if r, err := decodeReply(nodata); err != nil || r.data != nil {
		t.Errorf("decodeReply(data_size 305) = data % x, %v; want no data", r.data, err)
	}

	tests := []struct {
		name     string
		size     uint32 // data_size
		start    uint32 // data_start
		buf      int    // buffer length
		wantData int    // -1: no data
	}{
		{"data_size beyond the buffer", 1 << 30, 312, 400, 400 - 312},
		{"data_start beyond data_size", 320, 400, 512, -1},
		{"data_start inside the header", 400, 8, 512, -1},
		{"data_start huge", 400, 0xffffffff, 512, -1},
		{"data_start at 305", 320, 305, 512, 15},
		{"empty data", 312, 312, 512, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := alignedBuffer(tc.buf)
			ne.PutUint32(b[offDataSize:], tc.size)
			ne.PutUint32(b[offDataStart:], tc.start)
			r, err := decodeReply(b)
			if err != nil {
				t.Fatalf("decodeReply(%s) = %v", tc.name, err)
			}
			if tc.wantData < 0 {
				if r.data != nil {
					t.Errorf("decodeReply(%s).data = %d bytes, want none", tc.name, len(r.data))
				}
			} else if len(r.data) != tc.wantData {
				t.Errorf("decodeReply(%s).data = %d bytes, want %d", tc.name, len(r.data), tc.wantData)
			}
		})
	}
	// Names and uuids fill their fields without a NUL: still bounded.
	full := alignedBuffer(headerSize)
	for i := offName; i < offData; i++ {
		full[i] = 'x'
	}
	r, err = decodeReply(full)
	if err != nil || len(r.info.Name) != nameLen || len(r.info.UUID) != uuidLen {
		t.Errorf("decodeReply(unterminated name and uuid) = name %d, uuid %d bytes, %v; want %d, %d",
			len(r.info.Name), len(r.info.UUID), err, nameLen, uuidLen)
	}
	if _, err := decodeReply(make([]byte, headerSize-1)); err == nil {
		t.Errorf("decodeReply(311 bytes) = nil error, want an error")
	}
}

func TestParseKmsgRecord(t *testing.T) {
	tests := []struct {
		rec    string
		ts     int64 // microseconds
		msg    string
		wantOK bool
	}{
		{"3,1234,5678901,-;device-mapper: table: 253:0: linear: Invalid argument count\n", 5678901, "device-mapper: table: 253:0: linear: Invalid argument count", true},
		{"4,99,12,-;device-mapper: ioctl: error adding target to table\n SUBSYSTEM=block\n DEVICE=b253:0\n", 12, "device-mapper: ioctl: error adding target to table", true},
		{"6,5,0,c,caller=T42;msg with ; semicolon", 0, "msg with ; semicolon", true},
		{"6,5,7,-;", 7, "", true},
		{"6,5,7;msg", 7, "msg", true},
		{"no semicolon", 0, "", false},
		{"6,5;too few fields", 0, "", false},
		{"6,5,abc,-;bad time", 0, "", false},
		{"6,5,-1,-;negative", 0, "", false},
		{"6,5,99999999999999999999,-;overflow", 0, "", false},
		{"", 0, "", false},
	}
	for _, tc := range tests {
		ts, msg, ok := parseKmsgRecord(tc.rec)
		if ok != tc.wantOK || (ok && (ts.Microseconds() != tc.ts || msg != tc.msg)) {
			t.Errorf("parseKmsgRecord(%q) = %v, %q, %v; want %dµs, %q, %v", tc.rec, ts, msg, ok, tc.ts, tc.msg, tc.wantOK)
		}
	}
}
