package dmctl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// The decoders below read the data area of kernel replies (from data_start
// to data_size). They are pure and bounds-check every offset: bad bytes give
// an error, never a panic or an endless loop.

var errTruncated = errors.New("truncated reply")

// decodeTargets reads count dm_target_spec records of a TABLE_STATUS or
// DEV_WAIT reply. There, each spec's next field is an offset from the start
// of the data area, not from the spec (unlike TABLE_LOAD's input).
func decodeTargets(data []byte, count uint32) ([]Target, error) {
	if uint64(count) > uint64(len(data)/specSize) {
		return nil, fmt.Errorf("target count %d does not fit in %d bytes: %w", count, len(data), errTruncated)
	}
	targets := make([]Target, 0, count)
	off := 0
	for i := uint32(0); i < count; i++ {
		if off < 0 || off+specSize > len(data) {
			return nil, fmt.Errorf("target %d at offset %d: %w", i, off, errTruncated)
		}
		s := data[off:]
		t := Target{
			Start:  ne.Uint64(s[offSpecStart:]),
			Length: ne.Uint64(s[offSpecLength:]),
			Type:   targetType(s[offSpecType : offSpecType+typeLen]),
		}
		params, ok := nulString(s[specSize:])
		if !ok {
			return nil, fmt.Errorf("target %d: parameters not terminated: %w", i, errTruncated)
		}
		t.Params = params
		targets = append(targets, t)
		next := int(ne.Uint32(s[offSpecNext:]))
		if i+1 < count && next <= off {
			return nil, fmt.Errorf("target %d: next offset %d does not move forward", i, next)
		}
		off = next
	}
	return targets, nil
}

// targetType returns the NUL-terminated target type name in b, without
// allocating for the kernel's own target types.
func targetType(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	switch string(b) {
	case "thin":
		return "thin"
	case "thin-pool":
		return "thin-pool"
	case "linear":
		return "linear"
	case "striped":
		return "striped"
	case "zero":
		return "zero"
	case "error":
		return "error"
	case "crypt":
		return "crypt"
	case "snapshot":
		return "snapshot"
	case "snapshot-origin":
		return "snapshot-origin"
	case "mirror":
		return "mirror"
	case "raid":
		return "raid"
	case "cache":
		return "cache"
	case "multipath":
		return "multipath"
	case "verity":
		return "verity"
	case "integrity":
		return "integrity"
	case "delay":
		return "delay"
	case "flakey":
		return "flakey"
	}
	return string(b)
}

// nulString returns the bytes of b before the first NUL, and false if there
// is no NUL.
func nulString(b []byte) (string, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), true
		}
	}
	return "", false
}

// Flags of a dm_name_list record (after the name).
const nameListHasUUID = 1 // DM_NAME_LIST_FLAG_HAS_UUID

// decodeNameList reads a LIST_DEVICES reply: dm_name_list records chained
// by next offsets relative to each record, 0 ending the list. A first
// record whose dev is 0 means there are no devices. After each name, on the
// next 8-byte boundary, kernels with ioctl 4.37 or later write the event
// number and flags, then, when asked for and present, the uuid.
//
// The names and uuids of all records share one string allocation: a list of
// ten thousand devices is three allocations, not ten thousand.
func decodeNameList(data []byte) ([]NameEntry, error) {
	if len(data) < 8 {
		if len(data) == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("device list: %w", errTruncated)
	}
	if ne.Uint64(data) == 0 {
		return nil, nil
	}
	// First pass: check every record and count them and their text.
	count, text := 0, 0
	err := walkNameList(data, func(rec nameRecord) {
		count++
		text += len(rec.name) + len(rec.uuid)
	})
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.Grow(text)
	type span struct{ name, uuid int }
	ends := make([]span, 0, count)
	walkNameList(data, func(rec nameRecord) {
		sb.Write(rec.name)
		n := sb.Len()
		sb.Write(rec.uuid)
		ends = append(ends, span{n, sb.Len()})
	})
	all := sb.String()
	out := make([]NameEntry, 0, count)
	start := 0
	walkNameList(data, func(rec nameRecord) {
		e := ends[len(out)]
		out = append(out, NameEntry{Name: all[start:e.name], UUID: all[e.name:e.uuid], Dev: rec.dev, EventNr: rec.eventNr})
		start = e.uuid
	})
	return out, nil
}

// nameRecord is one dm_name_list record, its text still in the reply.
type nameRecord struct {
	dev     Dev
	eventNr uint32
	name    []byte
	uuid    []byte
}

// walkNameList calls fn on each record of a LIST_DEVICES reply with at
// least one device, in order, checking every offset.
func walkNameList(data []byte, fn func(nameRecord)) error {
	off := 0
	for {
		if off+nameListNameOff > len(data) {
			return fmt.Errorf("device list record at %d: %w", off, errTruncated)
		}
		rec := data[off:]
		next := int(ne.Uint32(rec[8:]))
		end := len(rec)
		if next != 0 {
			if next < nameListNameOff+1 || next > len(rec) {
				return fmt.Errorf("device list record at %d: bad next offset %d", off, next)
			}
			end = next
		}
		rec = rec[:end]
		n := bytes.IndexByte(rec[nameListNameOff:], 0)
		if n < 0 {
			return fmt.Errorf("device list record at %d: name not terminated: %w", off, errTruncated)
		}
		r := nameRecord{dev: Dev(ne.Uint64(rec)), name: rec[nameListNameOff : nameListNameOff+n]}
		// Event number and flags follow on the next 8-byte boundary of the
		// data area (records start aligned, so relative alignment suffices).
		ev := align8(off+nameListNameOff+n+1) - off
		if ev+8 <= len(rec) {
			r.eventNr = ne.Uint32(rec[ev:])
			flags := ne.Uint32(rec[ev+4:])
			if flags&nameListHasUUID != 0 {
				u := bytes.IndexByte(rec[ev+8:], 0)
				if u < 0 {
					return fmt.Errorf("device list record %q: uuid not terminated: %w", r.name, errTruncated)
				}
				r.uuid = rec[ev+8 : ev+8+u]
			}
		}
		fn(r)
		if next == 0 {
			return nil
		}
		off += next
	}
}

// decodeDeps reads a TABLE_DEPS reply: a count, padding, then that many
// device numbers.
func decodeDeps(data []byte) ([]Dev, error) {
	if len(data) < depsHeaderSize {
		return nil, fmt.Errorf("deps: %w", errTruncated)
	}
	n := ne.Uint32(data)
	if uint64(n) > uint64((len(data)-depsHeaderSize)/8) {
		return nil, fmt.Errorf("deps: count %d does not fit in %d bytes: %w", n, len(data), errTruncated)
	}
	devs := make([]Dev, n)
	for i := range devs {
		devs[i] = Dev(ne.Uint64(data[depsHeaderSize+8*i:]))
	}
	return devs, nil
}

// decodeVersions reads a LIST_VERSIONS or GET_TARGET_VERSION reply:
// dm_target_versions records chained by next offsets relative to each
// record, 0 ending the list.
func decodeVersions(data []byte) ([]TargetVersion, error) {
	var out []TargetVersion
	off := 0
	for off < len(data) {
		if off+versionsHdrSize > len(data) {
			return nil, fmt.Errorf("target versions record at %d: %w", off, errTruncated)
		}
		rec := data[off:]
		next := int(ne.Uint32(rec))
		name, ok := nulString(rec[versionsHdrSize:])
		if !ok {
			return nil, fmt.Errorf("target versions record at %d: name not terminated: %w", off, errTruncated)
		}
		out = append(out, TargetVersion{
			Name:    name,
			Version: Version{ne.Uint32(rec[4:]), ne.Uint32(rec[8:]), ne.Uint32(rec[12:])},
		})
		if next == 0 {
			return out, nil
		}
		if next < versionsHdrSize {
			return nil, fmt.Errorf("target versions record at %d: bad next offset %d", off, next)
		}
		off += next
	}
	return out, nil
}
