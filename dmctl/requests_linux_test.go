package dmctl

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// requestCase is one request as a Control method builds it. The requests
// below repeat, field for field, what the methods of device_linux.go put in
// their request literal.
type requestCase struct {
	name string
	req  request
}

func threeTargets() []Target {
	return []Target{
		{Start: 0, Length: 2048, Type: "linear", Params: "7:0 2048"},          // 8+1: padded to 16
		{Start: 2048, Length: 1024, Type: "striped", Params: "2 8 7:1 0 7:2"}, // 13+1: padded to 16
		{Start: 3072, Length: 1024, Type: "zero"},                             // empty: NUL padded to 8
	}
}

func mustTargets(t *testing.T, targets []Target) []byte {
	t.Helper()
	b, err := encodeTargets(targets)
	if err != nil {
		t.Fatalf("encodeTargets(%v) = %v", targets, err)
	}
	return b
}

func requestCases(t *testing.T) []requestCase {
	oneTarget := []Target{{Start: 0, Length: 409600, Type: "linear", Params: "7:0 0"}}
	aligned := []Target{{Start: 0, Length: 8, Type: "error", Params: "1234567"}} // 7+1: exactly 8
	return []requestCase{
		{"version", request{cmd: unix.DM_VERSION, op: "version"}},
		{"list", request{cmd: unix.DM_LIST_DEVICES, op: "list devices", sizing: sizeList}},
		{"list-uuids", request{cmd: unix.DM_LIST_DEVICES, op: "list devices", flags: flagUUID, sizing: sizeList}},
		{"list-prefix", request{cmd: unix.DM_LIST_DEVICES, op: "list devices", name: "docker-8:1-1234-", sizing: sizeList}},
		{"create", request{cmd: unix.DM_DEV_CREATE, op: "create", name: "vol0"}},
		{"create-ro-uuid", request{cmd: unix.DM_DEV_CREATE, op: "create", name: "vol0", uuid: "DMCTL-0123456789abcdef", flags: FlagReadOnly}},
		{"load-1", request{cmd: unix.DM_TABLE_LOAD, op: "table load", name: "vol0", targetCount: 1, payload: mustTargets(t, oneTarget)}},
		{"load-1-aligned", request{cmd: unix.DM_TABLE_LOAD, op: "table load", name: "vol0", targetCount: 1, payload: mustTargets(t, aligned)}},
		{"load-3-ro", request{cmd: unix.DM_TABLE_LOAD, op: "table load", name: "vol0", flags: FlagReadOnly, targetCount: 3, payload: mustTargets(t, threeTargets())}},
		{"table-clear", request{cmd: unix.DM_TABLE_CLEAR, op: "table clear", name: "vol0"}},
		{"suspend", request{cmd: unix.DM_DEV_SUSPEND, op: "suspend", name: "vol0", flags: FlagSuspended}},
		{"suspend-noflush-nolockfs", request{cmd: unix.DM_DEV_SUSPEND, op: "suspend", name: "vol0", flags: FlagSuspended | flagNoFlush | flagSkipLockFS}},
		{"resume", request{cmd: unix.DM_DEV_SUSPEND, op: "resume", name: "vol0"}},
		{"remove", request{cmd: unix.DM_DEV_REMOVE, op: "remove", name: "vol0"}},
		{"remove-deferred", request{cmd: unix.DM_DEV_REMOVE, op: "remove", name: "vol0", flags: flagDeferredRemove}},
		{"remove-all", request{cmd: unix.DM_REMOVE_ALL, op: "remove all"}},
		{"remove-all-deferred", request{cmd: unix.DM_REMOVE_ALL, op: "remove all", flags: flagDeferredRemove}},
		{"rename", request{cmd: unix.DM_DEV_RENAME, op: "rename", name: "vol0", payload: []byte("vol1\x00")}},
		{"set-uuid", request{cmd: unix.DM_DEV_RENAME, op: "set uuid", name: "vol0", flags: flagUUID, payload: []byte("DMCTL-0123456789abcdef\x00")}},
		{"info", request{cmd: unix.DM_DEV_STATUS, op: "info", name: "vol0"}},
		{"info-uuid", request{cmd: unix.DM_DEV_STATUS, op: "info", uuid: "DMCTL-0123456789abcdef"}},
		{"info-dev", request{cmd: unix.DM_DEV_STATUS, op: "info", dev: MakeDev(253, 300)}},
		{"status", request{cmd: unix.DM_TABLE_STATUS, op: "status", name: "vol0", sizing: sizeReply}},
		{"status-noflush", request{cmd: unix.DM_TABLE_STATUS, op: "status", name: "vol0", flags: flagNoFlush, sizing: sizeReply}},
		{"table", request{cmd: unix.DM_TABLE_STATUS, op: "table", name: "vol0", flags: flagStatusTable, sizing: sizeReply}},
		{"table-inactive", request{cmd: unix.DM_TABLE_STATUS, op: "table", name: "vol0", flags: flagStatusTable | flagQueryInactive, sizing: sizeReply}},
		{"deps", request{cmd: unix.DM_TABLE_DEPS, op: "deps", name: "vol0", sizing: sizeReply}},
		{"message", request{cmd: unix.DM_TARGET_MSG, op: "message", name: "pool", payload: encodeMessage(0, "create_snap 2 1"), sizing: sizeReply}},
		{"message-sector", request{cmd: unix.DM_TARGET_MSG, op: "message", name: "vol0", payload: encodeMessage(4096, "@stats_list"), sizing: sizeReply}},
		{"list-versions", request{cmd: unix.DM_LIST_VERSIONS, op: "list versions", sizing: sizeReply}},
		// The kernel's get_target_version passes param->name to
		// __list_versions: the target goes in the name field.
		{"target-version", request{cmd: unix.DM_GET_TARGET_VERSION, op: "target version", name: "thin-pool", sizing: sizeReply}},
		{"wait", request{cmd: unix.DM_DEV_WAIT, op: "wait", name: "vol0", eventNr: 7, sizing: sizeReply}},
	}
}

// requestBytes encodes r exactly as Control.run sends it the first time
// (in a fresh process: no device list has set a size hint).
func requestBytes(r *request) ([]byte, error) {
	return encode(r, r.initialSize(0))
}

// dumpRequest renders an encoded request for a golden file: a summary line,
// then a hex dump of the bytes up to the end of the payload (8-aligned);
// the rest of the buffer must be zero and is not shown.
func dumpRequest(r *request, b []byte) (string, error) {
	used := align8(headerSize + len(r.payload))
	for i, c := range b[used:] {
		if c != 0 {
			return "", fmt.Errorf("byte %d after the payload is %#x, want 0", used+i, c)
		}
	}
	return fmt.Sprintf("# %s: ioctl %#x, buffer %d bytes, bytes from %d on are zero\n%s",
		r.op, r.cmd, len(b), used, hex.Dump(b[:used])), nil
}

// TestRequestGolden compares every kind of request with its golden hex
// dump in testdata/requests (go test -run TestRequestGolden -update
// rewrites them).
func TestRequestGolden(t *testing.T) {
	for _, tc := range requestCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			b, err := requestBytes(&tc.req)
			if err != nil {
				t.Fatalf("encode(%s) = %v", tc.name, err)
			}
			got, err := dumpRequest(&tc.req, b)
			if err != nil {
				t.Fatalf("encode(%s): %v", tc.name, err)
			}
			path := filepath.Join("testdata", "requests", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestRequestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("encode(%s) =\n%s\nwant (%s)\n%s", tc.name, got, path, want)
			}
		})
	}
}

// TestRequestHeader checks the header fields of every kind of request
// against the request it encodes.
func TestRequestHeader(t *testing.T) {
	for _, tc := range requestCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			r := &tc.req
			b, err := requestBytes(r)
			if err != nil {
				t.Fatalf("encode(%s) = %v", tc.name, err)
			}
			if len(b) < headerSize+len(r.payload) {
				t.Fatalf("len(encode(%s)) = %d, want >= %d", tc.name, len(b), headerSize+len(r.payload))
			}
			u32 := func(off int) uint32 { return ne.Uint32(b[off:]) }
			wantSize := r.initialSize(0)
			checks := []struct {
				field     string
				got, want uint64
			}{
				{"version[0]", uint64(u32(offVersion)), 4},
				{"version[1]", uint64(u32(offVersion + 4)), 0},
				{"version[2]", uint64(u32(offVersion + 8)), 0},
				{"data_size", uint64(u32(offDataSize)), uint64(wantSize)},
				{"data_start", uint64(u32(offDataStart)), 312},
				{"target_count", uint64(u32(offTargetCount)), uint64(r.targetCount)},
				{"open_count", uint64(u32(offOpenCount)), 0},
				{"flags", uint64(u32(offFlags)), uint64(r.flags)},
				{"event_nr", uint64(u32(offEventNr)), uint64(r.eventNr)},
				{"padding", uint64(u32(offEventNr + 4)), 0},
				{"dev", ne.Uint64(b[offDev:]), uint64(r.dev)},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("encode(%s): %s = %d, want %d", tc.name, c.field, c.got, c.want)
				}
			}
			if len(b) != wantSize {
				t.Errorf("len(encode(%s)) = %d, want %d (data_size)", tc.name, len(b), wantSize)
			}
			name := b[offName : offName+nameLen]
			if got := cString(name); got != r.name {
				t.Errorf("encode(%s): name = %q, want %q", tc.name, got, r.name)
			}
			if !bytes.Equal(name[len(r.name):], make([]byte, nameLen-len(r.name))) {
				t.Errorf("encode(%s): name field not NUL-padded: % x", tc.name, name)
			}
			uuid := b[offUUID : offUUID+uuidLen]
			if got := cString(uuid); got != r.uuid {
				t.Errorf("encode(%s): uuid = %q, want %q", tc.name, got, r.uuid)
			}
			if !bytes.Equal(uuid[len(r.uuid):], make([]byte, uuidLen-len(r.uuid))) {
				t.Errorf("encode(%s): uuid field not NUL-padded: % x", tc.name, uuid)
			}
			if !bytes.Equal(b[offData:headerSize], make([]byte, headerSize-offData)) {
				t.Errorf("encode(%s): data[7] padding = % x, want zeros", tc.name, b[offData:headerSize])
			}
			if got := b[headerSize : headerSize+len(r.payload)]; !bytes.Equal(got, r.payload) {
				t.Errorf("encode(%s): payload = % x, want % x", tc.name, got, r.payload)
			}
			if addrOf(b)%8 != 0 {
				t.Errorf("encode(%s): buffer at %#x, want 8-byte aligned", tc.name, addrOf(b))
			}
		})
	}
}

// walkLoadSpecs walks a TABLE_LOAD payload the way the kernel's
// populate_table and next_target do (next relative to each spec), checking
// the alignment the kernel requires since Linux 6.5, and returns the
// targets it finds.
func walkLoadSpecs(payload []byte, count int) ([]Target, error) {
	var out []Target
	off := 0
	for i := range count {
		if off%8 != 0 {
			return nil, fmt.Errorf("spec %d at offset %d: not 8-byte aligned", i, off)
		}
		if off+specSize > len(payload) {
			return nil, fmt.Errorf("spec %d at offset %d: beyond the %d-byte payload", i, off, len(payload))
		}
		s := payload[off:]
		if st := int32(ne.Uint32(s[offSpecStatus:])); st != 0 {
			return nil, fmt.Errorf("spec %d: status = %d, want 0", i, st)
		}
		typ := s[offSpecType : offSpecType+typeLen]
		if bytes.IndexByte(typ, 0) < 0 {
			return nil, fmt.Errorf("spec %d: target type not NUL-terminated", i)
		}
		params, ok := nulString(s[specSize:])
		if !ok {
			return nil, fmt.Errorf("spec %d: params not NUL-terminated", i)
		}
		next := int(ne.Uint32(s[offSpecNext:]))
		if want := specSize + align8(len(params)+1); next != want {
			return nil, fmt.Errorf("spec %d: next = %d, want %d", i, next, want)
		}
		if next%8 != 0 {
			return nil, fmt.Errorf("spec %d: next = %d, not 8-byte aligned", i, next)
		}
		if pad := s[specSize+len(params) : next]; !bytes.Equal(pad, make([]byte, len(pad))) {
			return nil, fmt.Errorf("spec %d: padding after params = % x, want zeros", i, pad)
		}
		out = append(out, Target{
			Start:  ne.Uint64(s[offSpecStart:]),
			Length: ne.Uint64(s[offSpecLength:]),
			Type:   cString(typ),
			Params: params,
		})
		off += next
	}
	if off != len(payload) {
		return nil, fmt.Errorf("specs end at %d, payload is %d bytes", off, len(payload))
	}
	return out, nil
}

func TestEncodeTargets(t *testing.T) {
	tests := []struct {
		name    string
		targets []Target
		size    int // expected payload size
	}{
		{"one, 5+1 bytes of params", []Target{{0, 8, "linear", "7:0 0"}}, 40 + 8},
		{"one, 7+1 bytes of params", []Target{{0, 8, "linear", "7:0 100"}}, 40 + 8},
		{"one, 8+1 bytes of params", []Target{{0, 8, "linear", "7:0 1000"}}, 40 + 16},
		{"one, empty params", []Target{{0, 8, "zero", ""}}, 40 + 8},
		{"three", threeTargets(), 40 + 16 + 40 + 16 + 40 + 8},
		{"15-byte type", []Target{{0, 1, "abcdefghijklmno", "x"}}, 40 + 8},
		{"huge sectors", []Target{{1<<63 + 5, 1<<64 - 1, "error", ""}}, 48},
		{"none", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeTargets(tc.targets)
			if err != nil {
				t.Fatalf("encodeTargets(%v) = %v, want nil error", tc.targets, err)
			}
			if len(b) != tc.size {
				t.Errorf("len(encodeTargets(%v)) = %d, want %d", tc.targets, len(b), tc.size)
			}
			got, err := walkLoadSpecs(b, len(tc.targets))
			if err != nil {
				t.Fatalf("encodeTargets(%v): %v", tc.targets, err)
			}
			for i := range got {
				if got[i] != tc.targets[i] {
					t.Errorf("encodeTargets(%v): target %d = %+v, want %+v", tc.targets, i, got[i], tc.targets[i])
				}
			}
		})
	}
}

func TestEncodeTargetsRefuses(t *testing.T) {
	tests := []struct {
		name    string
		targets []Target
		want    string
	}{
		{"empty type", []Target{{0, 8, "", "x"}}, "no target type"},
		{"16-byte type", []Target{{0, 8, "abcdefghijklmnop", ""}}, "longer than 15 bytes"},
		{"zero length", []Target{{0, 0, "zero", ""}}, "zero length"},
		{"NUL in params", []Target{{0, 8, "linear", "7:0\x000"}}, "NUL byte"},
		// The kernel would read "lin" and ignore the rest.
		{"NUL in type", []Target{{0, 8, "lin\x00ear", ""}}, "NUL byte"},
		{"second target bad", []Target{{0, 8, "zero", ""}, {8, 8, "linear", "a\x00"}}, "target 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeTargets(tc.targets)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("encodeTargets(%q) = %d bytes, %v; want error containing %q", tc.targets, len(b), err, tc.want)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name string
		req  request
		want string
	}{
		{"128-byte name", request{name: strings.Repeat("n", 128)}, "longer than 127 bytes"},
		{"129-byte uuid", request{uuid: strings.Repeat("u", 129)}, "longer than 128 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encode(&tc.req, replyBufferSize)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("encode(%s) = %d bytes, %v; want error containing %q", tc.name, len(b), err, tc.want)
			}
		})
	}
	// The longest allowed values fit, NUL included.
	r := request{name: strings.Repeat("n", 127), uuid: strings.Repeat("u", 128)}
	b, err := encode(&r, replyBufferSize)
	if err != nil {
		t.Fatalf("encode(127-byte name, 128-byte uuid) = %v", err)
	}
	if b[offName+127] != 0 || b[offUUID+128] != 0 {
		t.Errorf("encode(127-byte name, 128-byte uuid): no NUL after name or uuid")
	}
	if got := cString(b[offName : offName+nameLen]); got != r.name {
		t.Errorf("encode(127-byte name): name = %q, want %q", got, r.name)
	}
}

// TestEncodeGrows checks that a payload larger than the buffer asked for
// grows the buffer and data_size with it.
func TestEncodeGrows(t *testing.T) {
	r := request{name: "big", payload: bytes.Repeat([]byte{'x'}, 5000)}
	b, err := encode(&r, replyBufferSize)
	if err != nil {
		t.Fatalf("encode(5000-byte payload) = %v", err)
	}
	if got, want := len(b), headerSize+5000; got != want {
		t.Errorf("len(encode(5000-byte payload)) = %d, want %d", got, want)
	}
	if got := int(ne.Uint32(b[offDataSize:])); got != len(b) {
		t.Errorf("encode(5000-byte payload): data_size = %d, want %d", got, len(b))
	}
}

func TestEncodeMessage(t *testing.T) {
	tests := []struct {
		sector uint64
		msg    string
		size   int
	}{
		{0, "create_thin 1", 24},   // 8 + 13 + 1 = 22 -> 24
		{0, "1234567", 16},         // 8 + 7 + 1 = 16
		{12345, "@stats_list", 24}, // 8 + 11 + 1 = 20 -> 24
		{1<<64 - 1, "x", 16},       // 8 + 1 + 1 = 10 -> 16
	}
	for _, tc := range tests {
		b := encodeMessage(tc.sector, tc.msg)
		if len(b) != tc.size {
			t.Errorf("len(encodeMessage(%d, %q)) = %d, want %d", tc.sector, tc.msg, len(b), tc.size)
		}
		if got := ne.Uint64(b); got != tc.sector {
			t.Errorf("encodeMessage(%d, %q): sector = %d", tc.sector, tc.msg, got)
		}
		if got, ok := nulString(b[msgSize:]); !ok || got != tc.msg {
			t.Errorf("encodeMessage(%d, %q): message = %q, %v", tc.sector, tc.msg, got, ok)
		}
	}
}

// TestRequestSizing checks how each kind of request sizes its buffer: the
// header alone, the header and the payload, replyBufferSize, or the device
// list's hint; and how a reply that did not fit grows it.
func TestRequestSizing(t *testing.T) {
	load := request{cmd: unix.DM_TABLE_LOAD, payload: make([]byte, 100)}
	tests := []struct {
		name     string
		req      request
		hint     int
		want     int
		next     int // 0: may not grow
		nextFrom int
	}{
		{"no payload", request{cmd: unix.DM_DEV_STATUS}, 0, headerSize, 0, headerSize},
		{"payload", load, 0, align8(headerSize + 100), 0, 4096},
		{"reply", request{cmd: unix.DM_TABLE_STATUS, sizing: sizeReply}, 1 << 20, replyBufferSize, 2 * replyBufferSize, replyBufferSize},
		{"reply with a big payload", request{cmd: unix.DM_TARGET_MSG, sizing: sizeReply, payload: make([]byte, 5000)},
			0, align8(headerSize + 5000), 2 * 8192, 8192},
		{"list, no hint", request{cmd: unix.DM_LIST_DEVICES, sizing: sizeList}, 0, listBufferSize, 4 * listBufferSize, listBufferSize},
		{"list, hint", request{cmd: unix.DM_LIST_DEVICES, sizing: sizeList}, 1 << 20, 1 << 20, 4 << 20, 1 << 20},
		{"list at the cap", request{cmd: unix.DM_LIST_DEVICES, sizing: sizeList}, 0, listBufferSize, 0, maxBufferSize},
		{"reply near the cap", request{cmd: unix.DM_TABLE_STATUS, sizing: sizeReply}, 0, replyBufferSize, maxBufferSize, maxBufferSize - 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.req.initialSize(tc.hint); got != tc.want {
				t.Errorf("initialSize(%d) = %d, want %d", tc.hint, got, tc.want)
			}
			next, ok := tc.req.grow(tc.nextFrom)
			if ok != (tc.next != 0) || next != tc.next {
				t.Errorf("grow(%d) = %d, %v; want %d", tc.nextFrom, next, ok, tc.next)
			}
		})
	}
}

// TestBufferReuse checks that a buffer goes back to the pool cleared of
// what its request and reply held, and that grown buffers are not kept.
func TestBufferReuse(t *testing.T) {
	c := &Control{fd: -1}
	r := &request{cmd: unix.DM_TABLE_LOAD, name: "vol0", targetCount: 1,
		payload: []byte("crypt key 0123456789abcdef\x00")}
	w, b := c.getBuffer(replyBufferSize)
	if len(b) != replyBufferSize || addrOf(b)%8 != 0 {
		t.Fatalf("getBuffer(%d) = %d bytes at %#x, want %d, 8-aligned", replyBufferSize, len(b), addrOf(b), replyBufferSize)
	}
	encodeInto(b, r)
	// The kernel's reply says how much it wrote.
	ne.PutUint32(b[offDataSize:], uint32(headerSize+600))
	for i := headerSize + len(r.payload); i < headerSize+600; i++ {
		b[i] = 0xaa
	}
	c.putBuffer(w, b, len(r.payload))
	if !bytes.Equal(b, make([]byte, len(b))) {
		t.Errorf("putBuffer left data behind: % x", bytes.TrimRight(b, "\x00"))
	}
	big, bb := c.getBuffer(2 * replyBufferSize)
	if len(bb) != 2*replyBufferSize {
		t.Fatalf("getBuffer(%d) = %d bytes", 2*replyBufferSize, len(bb))
	}
	c.putBuffer(big, bb, 0)
	if w2, _ := c.getBuffer(headerSize); len(*w2) != replyBufferSize/8 {
		t.Errorf("getBuffer(312) after putting a grown buffer = %d words, want a pooled %d", len(*w2), replyBufferSize/8)
	}
}
