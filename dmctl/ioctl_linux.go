package dmctl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sizes and offsets of the kernel structures, taken from x/sys's generated
// types (which follow include/uapi/linux/dm-ioctl.h).
const (
	headerSize      = int(unsafe.Sizeof(unix.DmIoctl{}))           // struct dm_ioctl, 312
	specSize        = int(unsafe.Sizeof(unix.DmTargetSpec{}))      // struct dm_target_spec, 40
	msgSize         = int(unsafe.Sizeof(unix.DmTargetMsg{}))       // struct dm_target_msg, 8
	depsHeaderSize  = int(unsafe.Sizeof(unix.DmTargetDeps{}))      // struct dm_target_deps, 8
	versionsHdrSize = int(unsafe.Sizeof(unix.DmTargetVersions{}))  // struct dm_target_versions, 16
	nameListNameOff = int(unsafe.Offsetof(unix.DmNameList{}.Name)) // 12

	offVersion     = int(unsafe.Offsetof(unix.DmIoctl{}.Version))
	offDataSize    = int(unsafe.Offsetof(unix.DmIoctl{}.Data_size))
	offDataStart   = int(unsafe.Offsetof(unix.DmIoctl{}.Data_start))
	offTargetCount = int(unsafe.Offsetof(unix.DmIoctl{}.Target_count))
	offOpenCount   = int(unsafe.Offsetof(unix.DmIoctl{}.Open_count))
	offFlags       = int(unsafe.Offsetof(unix.DmIoctl{}.Flags))
	offEventNr     = int(unsafe.Offsetof(unix.DmIoctl{}.Event_nr))
	offDev         = int(unsafe.Offsetof(unix.DmIoctl{}.Dev))
	offName        = int(unsafe.Offsetof(unix.DmIoctl{}.Name))
	offUUID        = int(unsafe.Offsetof(unix.DmIoctl{}.Uuid))
	offData        = int(unsafe.Offsetof(unix.DmIoctl{}.Data))

	offSpecStart  = int(unsafe.Offsetof(unix.DmTargetSpec{}.Sector_start))
	offSpecLength = int(unsafe.Offsetof(unix.DmTargetSpec{}.Length))
	offSpecStatus = int(unsafe.Offsetof(unix.DmTargetSpec{}.Status))
	offSpecNext   = int(unsafe.Offsetof(unix.DmTargetSpec{}.Next))
	offSpecType   = int(unsafe.Offsetof(unix.DmTargetSpec{}.Target_type))

	nameLen = len(unix.DmIoctl{}.Name) // DM_NAME_LEN, including the NUL
	uuidLen = len(unix.DmIoctl{}.Uuid) // DM_UUID_LEN, including the NUL

	// Buffer sizes. Requests the kernel answers in the header alone send
	// the header alone; requests with a payload and no reply data send the
	// header and the payload. Requests whose reply carries data start with
	// replyBufferSize, enough for nearly every table, status, deps or
	// message reply, and grow only when the kernel says the reply did not
	// fit (DM_BUFFER_FULL_FLAG). The kernel allocates and copies in the
	// whole buffer on every request, so a big buffer costs on both sides:
	// unlike libdm, dmctl does not carry a size that one reply needed over
	// to the requests that follow.
	replyBufferSize = 4 << 10
	// listBufferSize starts a device list; see Control.List.
	listBufferSize = 16 << 10
	// maxBufferSize caps the buffer protocol's growth.
	maxBufferSize = 64 << 20
)

// sizing says how a request's buffer is sized.
type sizing uint8

const (
	sizeExact sizing = iota // the header and the payload: the reply is the header
	sizeReply               // replyBufferSize to start, doubled while the reply does not fit
	sizeList                // Control.listHint to start, quadrupled while the reply does not fit
)

// interfaceVersion is the ioctl interface version dmctl asks for. The kernel
// accepts any request whose major is 4 and minor is at most its own.
var interfaceVersion = Version{4, 0, 0}

var ne = binary.NativeEndian

// request is one dm ioctl request before it is encoded.
type request struct {
	cmd         uintptr
	op          string // for errors: "create", "table load", ...
	name        string
	uuid        string
	dev         Dev
	flags       Flags
	eventNr     uint32
	targetCount uint32
	payload     []byte // placed at data_start
	sizing      sizing
}

// initialSize is the size of the first buffer a request is sent in.
func (r *request) initialSize(listHint int) int {
	n := headerSize + len(r.payload)
	switch r.sizing {
	case sizeReply:
		n = max(n, replyBufferSize)
	case sizeList:
		n = max(n, listBufferSize, listHint)
	}
	return align8(n)
}

// grow returns the size of the next buffer after a reply of size bytes did
// not fit, and false when the request may not grow.
func (r *request) grow(size int) (int, bool) {
	switch {
	case r.sizing == sizeExact || size >= maxBufferSize:
		return 0, false
	case r.sizing == sizeList:
		// Each try costs the kernel a pass over every device: reach a
		// big list in few steps.
		return min(size*4, maxBufferSize), true
	}
	return min(size*2, maxBufferSize), true
}

// alignedBuffer returns n zeroed bytes aligned to 8, as the kernel's
// structures require.
func alignedBuffer(n int) []byte {
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)[:n]
}

// encode lays out r in a new buffer of size bytes: the dm_ioctl header,
// then the payload at data_start.
func encode(r *request, size int) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	size = max(size, headerSize+len(r.payload))
	b := alignedBuffer(size)
	encodeInto(b, r)
	return b, nil
}

// check refuses what the header cannot hold.
func (r *request) check() error {
	if len(r.name) >= nameLen {
		return fmt.Errorf("device name %q is longer than %d bytes", r.name, nameLen-1)
	}
	if len(r.uuid) >= uuidLen {
		return fmt.Errorf("uuid %q is longer than %d bytes", r.uuid, uuidLen-1)
	}
	return nil
}

// encodeInto lays out r at the start of b, whose length is the data_size:
// the header (every byte of it written) and the payload. Bytes after the
// payload are left as they are: the kernel reads no further.
func encodeInto(b []byte, r *request) {
	clear(b[:headerSize])
	for i, v := range interfaceVersion {
		ne.PutUint32(b[offVersion+4*i:], v)
	}
	ne.PutUint32(b[offDataSize:], uint32(len(b)))
	ne.PutUint32(b[offDataStart:], uint32(headerSize))
	ne.PutUint32(b[offTargetCount:], r.targetCount)
	ne.PutUint32(b[offFlags:], uint32(r.flags))
	ne.PutUint32(b[offEventNr:], r.eventNr)
	ne.PutUint64(b[offDev:], uint64(r.dev))
	copy(b[offName:offName+nameLen-1], r.name)
	copy(b[offUUID:offUUID+uuidLen-1], r.uuid)
	copy(b[headerSize:], r.payload)
}

// reply is a decoded dm_ioctl header plus the data the kernel returned.
type reply struct {
	version Version
	info    DeviceInfo
	data    []byte // from data_start to data_size
}

// decodeReply reads the header of a reply buffer. It checks every offset.
func decodeReply(b []byte) (reply, error) {
	return decodeReplyFor(b, "")
}

// decodeReplyFor is decodeReply for a request that named the device name:
// a reply naming the same device reuses that string instead of a copy.
func decodeReplyFor(b []byte, name string) (reply, error) {
	var r reply
	if len(b) < headerSize {
		return r, errors.New("reply shorter than the dm_ioctl header")
	}
	for i := range r.version {
		r.version[i] = ne.Uint32(b[offVersion+4*i:])
	}
	size := int(ne.Uint32(b[offDataSize:]))
	start := int(ne.Uint32(b[offDataStart:]))
	r.info = DeviceInfo{
		Name:        cStringSame(b[offName:offName+nameLen], name),
		UUID:        cString(b[offUUID : offUUID+uuidLen]),
		Dev:         Dev(ne.Uint64(b[offDev:])),
		OpenCount:   int32(ne.Uint32(b[offOpenCount:])),
		EventNr:     ne.Uint32(b[offEventNr:]),
		TargetCount: ne.Uint32(b[offTargetCount:]),
		Flags:       Flags(ne.Uint32(b[offFlags:])),
	}
	if size > len(b) {
		size = len(b)
	}
	if start < offData || start > size {
		// No data (e.g. a request without payload): that is fine.
		return r, nil
	}
	r.data = b[start:size]
	return r, nil
}

// cStringSame is cString, returning s itself (no copy) when the bytes
// spell s.
func cStringSame(b []byte, s string) string {
	n := bytes.IndexByte(b, 0)
	if n < 0 {
		n = len(b)
	}
	if string(b[:n]) == s {
		return s
	}
	return string(b[:n])
}

// cString returns the bytes of b up to the first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// encodeTargets builds the TABLE_LOAD payload: one dm_target_spec per
// target, each followed by its NUL-terminated parameters padded so that the
// next spec starts 8-byte aligned (the kernel checks this since Linux 6.5).
func encodeTargets(targets []Target) ([]byte, error) {
	n := 0
	for _, t := range targets {
		n += specSize + align8(len(t.Params)+1)
	}
	b := make([]byte, n)
	off := 0
	for i, t := range targets {
		if t.Type == "" {
			return nil, fmt.Errorf("target %d: no target type", i)
		}
		if strings.IndexByte(t.Type, 0) >= 0 {
			return nil, fmt.Errorf("target %d: target type %q contains a NUL byte", i, t.Type)
		}
		if len(t.Type) >= typeLen {
			return nil, fmt.Errorf("target %d: target type %q is longer than %d bytes", i, t.Type, typeLen-1)
		}
		if t.Length == 0 {
			return nil, fmt.Errorf("target %d (%s): zero length", i, t.Type)
		}
		for _, c := range []byte(t.Params) {
			if c == 0 {
				return nil, fmt.Errorf("target %d (%s): parameters contain a NUL byte", i, t.Type)
			}
		}
		next := specSize + align8(len(t.Params)+1)
		s := b[off:]
		ne.PutUint64(s[offSpecStart:], t.Start)
		ne.PutUint64(s[offSpecLength:], t.Length)
		ne.PutUint32(s[offSpecStatus:], 0)
		ne.PutUint32(s[offSpecNext:], uint32(next))
		copy(s[offSpecType:offSpecType+typeLen-1], t.Type)
		copy(s[specSize:], t.Params)
		off += next
	}
	return b, nil
}

func align8(n int) int { return (n + 7) &^ 7 }

// encodeMessage builds the TARGET_MSG payload: a dm_target_msg holding the
// sector, then the NUL-terminated message.
func encodeMessage(sector uint64, msg string) []byte {
	b := make([]byte, align8(msgSize+len(msg)+1))
	ne.PutUint64(b, sector)
	copy(b[msgSize:], msg)
	return b
}
