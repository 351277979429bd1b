package dmctl

// Builders of reply data areas laid out exactly as the kernel's
// drivers/md/dm-ioctl.c writes them (Linux 6.1: list_devices,
// retrieve_status, retrieve_deps, __list_versions), for the decoder tests.
// Offsets are relative to the data area, which the kernel places at
// data_start = 312 of an 8-aligned buffer, so relative and absolute 8-byte
// alignment agree.

// kernelName is one device as list_devices sees it.
type kernelName struct {
	name    string
	dev     Dev
	eventNr uint32
	uuid    string // "" = the device has no uuid
}

// nameListFlags of dm-ioctl.h.
const (
	nameListFlagHasUUID        = 1
	nameListFlagDoesntHaveUUID = 2
)

// kernelNameList lays out a LIST_DEVICES reply as list_devices does since
// ioctl 4.37 (Linux 5.13): the record, the name, then on the next 8-byte
// boundary event_nr and flags, then (DM_UUID_FLAG and a uuid) the uuid,
// 8-aligned. needed is computed first and is exact, so data_size ends at
// the last byte written. With no device, the data area holds a zero dev
// (when it has room for it) and data_size is data_start.
func kernelNameList(devs []kernelName, uuids bool) []byte {
	needed := 0
	for _, d := range devs {
		needed += align8(nameListNameOff + len(d.name) + 1)
		needed += 8
		if uuids && d.uuid != "" {
			needed += align8(len(d.uuid) + 1)
		}
	}
	b := make([]byte, needed)
	off, old := 0, -1
	for _, d := range devs {
		if old >= 0 {
			ne.PutUint32(b[old+8:], uint32(off-old))
		}
		ne.PutUint64(b[off:], uint64(d.dev))
		ne.PutUint32(b[off+8:], 0)
		copy(b[off+nameListNameOff:], d.name)
		old = off
		ev := align8(off + nameListNameOff + len(d.name) + 1)
		ne.PutUint32(b[ev:], d.eventNr)
		var flags uint32
		next := ev + 8
		if uuids {
			if d.uuid != "" {
				flags |= nameListFlagHasUUID
				copy(b[next:], d.uuid)
				next = align8(next + len(d.uuid) + 1)
			} else {
				flags |= nameListFlagDoesntHaveUUID
			}
		}
		ne.PutUint32(b[ev+4:], flags)
		off = next
	}
	return b
}

// kernelNameListOld lays out a LIST_DEVICES reply as kernels before ioctl
// 4.37 did: records hold dev, next and the name only, and needed
// over-counts (sizeof(struct dm_name_list) + strlen + 1 + 7 each), so the
// data area ends with slack the kernel never wrote: the zeros of the
// caller's buffer.
func kernelNameListOld(devs []kernelName) []byte {
	needed := 0
	for _, d := range devs {
		needed += 16 + len(d.name) + 1 + 7
	}
	b := make([]byte, needed)
	off, old := 0, -1
	for _, d := range devs {
		if old >= 0 {
			ne.PutUint32(b[old+8:], uint32(off-old))
		}
		ne.PutUint64(b[off:], uint64(d.dev))
		copy(b[off+nameListNameOff:], d.name)
		old = off
		off = align8(off + nameListNameOff + len(d.name) + 1)
	}
	return b
}

// kernelStatus lays out a TABLE_STATUS (or DEV_WAIT) reply as
// retrieve_status does: each spec, its NUL-terminated text, the next spec
// 8-aligned; next is the offset of the following spec from the start of
// the data area (the last spec's next points past its own text), and
// data_size ends right after the last text's NUL.
func kernelStatus(targets []Target) []byte {
	b := make([]byte, 0, 256)
	for _, t := range targets {
		off := len(b)
		b = append(b, make([]byte, specSize)...)
		s := b[off:]
		ne.PutUint64(s[offSpecStart:], t.Start)
		ne.PutUint64(s[offSpecLength:], t.Length)
		copy(s[offSpecType:offSpecType+typeLen], t.Type)
		b = append(b, t.Params...)
		b = append(b, 0)
		end := len(b)
		next := align8(end)
		ne.PutUint32(b[off+offSpecNext:], uint32(next))
		b = append(b, make([]byte, next-end)...)
	}
	// data_size stops at the last NUL: the padding is not part of it.
	if n := len(targets); n > 0 {
		last := targets[n-1]
		return b[:len(b)-(align8(len(last.Params)+1)-(len(last.Params)+1))]
	}
	return b
}

// kernelDeps lays out a TABLE_DEPS reply as retrieve_deps does.
func kernelDeps(devs []Dev) []byte {
	b := make([]byte, depsHeaderSize+8*len(devs))
	ne.PutUint32(b, uint32(len(devs)))
	for i, d := range devs {
		ne.PutUint64(b[depsHeaderSize+8*i:], uint64(d))
	}
	return b
}

// kernelVersions lays out a LIST_VERSIONS or GET_TARGET_VERSION reply as
// __list_versions does: records chained by next relative to each record,
// the last with next 0, and data_size over-counted by up to 7 bytes a
// record (sizeof + strlen + 1 + 7), the slack left as the caller's zeros.
func kernelVersions(vs []TargetVersion) []byte {
	needed := 0
	for _, v := range vs {
		needed += versionsHdrSize + len(v.Name) + 1 + 7
	}
	b := make([]byte, needed)
	off, old := 0, -1
	for _, v := range vs {
		if old >= 0 {
			ne.PutUint32(b[old:], uint32(off-old))
		}
		for i, x := range v.Version {
			ne.PutUint32(b[off+4+4*i:], x)
		}
		copy(b[off+versionsHdrSize:], v.Name)
		old = off
		off = align8(off + versionsHdrSize + len(v.Name) + 1)
	}
	return b
}

// kernelReply builds a whole reply buffer: the header as the kernel leaves
// it (data_start = 312, data_size = 312 + len(data)) with data at 312,
// inside a buffer of size bytes (at least large enough).
func kernelReply(info DeviceInfo, version Version, data []byte, size int) []byte {
	size = max(size, headerSize+len(data))
	b := alignedBuffer(size)
	for i, v := range version {
		ne.PutUint32(b[offVersion+4*i:], v)
	}
	ne.PutUint32(b[offDataSize:], uint32(headerSize+len(data)))
	ne.PutUint32(b[offDataStart:], uint32(headerSize))
	ne.PutUint32(b[offTargetCount:], info.TargetCount)
	ne.PutUint32(b[offOpenCount:], uint32(info.OpenCount))
	ne.PutUint32(b[offFlags:], uint32(info.Flags))
	ne.PutUint32(b[offEventNr:], info.EventNr)
	ne.PutUint64(b[offDev:], uint64(info.Dev))
	copy(b[offName:offName+nameLen-1], info.Name)
	copy(b[offUUID:offUUID+uuidLen-1], info.UUID)
	copy(b[headerSize:], data)
	return b
}
