//go:build linux

// Command floor is the bare-ioctl floor of dmctl's benchmarks: the kernel
// calls a command needs, made from one process with nothing else around
// them (no argument parsing, state files, output formatting or retries).
// Its time is the physical limit of any tool doing the same work; make
// bench reports dmctl and dmsetup against it.
//
// Usage (as root, where device-mapper is):
//
//	floor read ls|info|table|status|deps|tree   # DM_LIST_DEVICES, then per device
//	floor snap POOL ORIGIN_ID FIRST_ID COUNT PREFIX SECTORS
//	floor unsnap POOL FIRST_ID COUNT PREFIX
//	floor version COUNT
//
// read makes the requests of the dmsetup verb of the same name over every
// device: ls one DM_LIST_DEVICES; info DM_DEV_STATUS and the read-ahead
// from sysfs; table and status DM_TABLE_STATUS; deps DM_TABLE_DEPS; tree
// DM_TABLE_DEPS and DM_DEV_STATUS. snap makes COUNT snapshots of thin
// ORIGIN_ID in POOL with ids FIRST_ID.. and activates each as PREFIX<id>
// (create_snap, DM_DEV_CREATE, DM_TABLE_LOAD, resume, mknod); unsnap
// deactivates and deletes them (DM_DEV_REMOVE, unlink, delete). Each prints
// one JSON line: {"op":..,"count":..,"ns":..,"ns_per_op":..}, the time
// measured inside the process (its start-up is not counted).
//
// It lives under dmctl/ because it talks to the kernel with x/sys/unix;
// it does not use package dmctl, so it measures the kernel, not dmctl.
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	headerSize = int(unsafe.Sizeof(unix.DmIoctl{}))
	specSize   = int(unsafe.Sizeof(unix.DmTargetSpec{}))
	// smallBuf holds the header and a short reply (one target's table or
	// status line); replies that do not fit are asked again with more room.
	smallBuf = 4 << 10
	listBuf  = 16 << 10
)

// control is the control fd and one reusable, 8-byte aligned buffer.
type control struct {
	fd    int
	words []uint64
}

func (c *control) buffer(size int) []byte {
	if n := (size + 7) / 8; n > len(c.words) {
		c.words = make([]uint64, n)
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&c.words[0])), len(c.words)*8)[:size]
}

// ioctl sends one request with a buffer of size bytes (growing it while
// the kernel says the reply did not fit) and returns the header and the
// reply's data area.
func (c *control) ioctl(cmd uintptr, name string, flags uint32, payload []byte, targets uint32, size int) (*unix.DmIoctl, []byte, error) {
	if size < headerSize+len(payload) {
		size = headerSize + len(payload)
	}
	for {
		b := c.buffer(size)
		clear(b[:headerSize])
		h := (*unix.DmIoctl)(unsafe.Pointer(&b[0]))
		h.Version = [3]uint32{4, 0, 0}
		h.Data_size = uint32(size)
		h.Data_start = uint32(headerSize)
		h.Flags = flags
		h.Target_count = targets
		for i := 0; i < len(name); i++ {
			h.Name[i] = name[i]
		}
		copy(b[headerSize:], payload)
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(c.fd), cmd, uintptr(unsafe.Pointer(&b[0]))); e != 0 {
			return nil, nil, fmt.Errorf("ioctl %#x %s: %w", cmd, name, e)
		}
		if h.Flags&unix.DM_BUFFER_FULL_FLAG == 0 {
			start, end := int(h.Data_start), min(int(h.Data_size), size)
			if start > end {
				return h, nil, nil // no data area (requests without parameters)
			}
			return h, b[start:end], nil
		}
		size *= 2
	}
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: floor read|snap|unsnap|version ARGS"))
	}
	fd, err := unix.Open("/dev/mapper/control", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		fail(err)
	}
	c := &control{fd: fd}
	args := os.Args[2:]
	start := time.Now()
	var count int
	switch os.Args[1] {
	case "read":
		count, err = c.read(arg(args, 0))
	case "snap":
		count, err = c.snap(arg(args, 0), num(args, 1), num(args, 2), num(args, 3), arg(args, 4), num(args, 5))
	case "unsnap":
		count, err = c.unsnap(arg(args, 0), num(args, 1), num(args, 2), arg(args, 3))
	case "version":
		count = num(args, 0)
		for range count {
			if _, _, err = c.ioctl(unix.DM_VERSION, "", 0, nil, 0, headerSize); err != nil {
				break
			}
		}
	default:
		err = fmt.Errorf("unknown operation %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
	ns := time.Since(start).Nanoseconds()
	per := ns
	if count > 0 {
		per = ns / int64(count)
	}
	fmt.Printf("{\"op\":%q,\"count\":%d,\"ns\":%d,\"ns_per_op\":%d}\n", os.Args[1]+" "+arg(args, 0), count, ns, per)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

func arg(args []string, i int) string {
	if i >= len(args) {
		fail(fmt.Errorf("missing argument %d", i+1))
	}
	return args[i]
}

func num(args []string, i int) int {
	n, err := strconv.Atoi(arg(args, i))
	if err != nil {
		fail(err)
	}
	return n
}

// device is one entry of a DM_LIST_DEVICES reply.
type device struct {
	name string
	dev  uint64
}

// list returns the kernel's devices.
func (c *control) list() ([]device, error) {
	_, data, err := c.ioctl(unix.DM_LIST_DEVICES, "", 0, nil, 0, listBuf)
	if err != nil {
		return nil, err
	}
	if len(data) < 16 || binary.NativeEndian.Uint64(data) == 0 {
		return nil, nil
	}
	var out []device
	for off := 0; off+12 < len(data); {
		rec := data[off:]
		n := 12
		for n < len(rec) && rec[n] != 0 {
			n++
		}
		out = append(out, device{name: string(rec[12:n]), dev: binary.NativeEndian.Uint64(rec)})
		next := int(binary.NativeEndian.Uint32(rec[8:]))
		if next == 0 {
			break
		}
		off += next
	}
	return out, nil
}

// read makes verb's requests over every device and returns how many
// devices it read.
func (c *control) read(verb string) (int, error) {
	devs, err := c.list()
	if err != nil || verb == "ls" {
		return len(devs), err
	}
	ra := make([]byte, 32)
	for _, d := range devs {
		switch verb {
		case "info":
			if _, _, err = c.ioctl(unix.DM_DEV_STATUS, d.name, 0, nil, 0, headerSize); err != nil {
				break
			}
			maj, mnr := unix.Major(d.dev), unix.Minor(d.dev)
			fd, e := unix.Open("/sys/dev/block/"+strconv.Itoa(int(maj))+":"+strconv.Itoa(int(mnr))+"/bdi/read_ahead_kb", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if e == nil {
				unix.Read(fd, ra)
				unix.Close(fd)
			}
		case "table":
			_, _, err = c.ioctl(unix.DM_TABLE_STATUS, d.name, unix.DM_STATUS_TABLE_FLAG, nil, 0, smallBuf)
		case "status":
			_, _, err = c.ioctl(unix.DM_TABLE_STATUS, d.name, 0, nil, 0, smallBuf)
		case "deps":
			_, _, err = c.ioctl(unix.DM_TABLE_DEPS, d.name, 0, nil, 0, smallBuf)
		case "tree":
			if _, _, err = c.ioctl(unix.DM_TABLE_DEPS, d.name, 0, nil, 0, smallBuf); err == nil {
				_, _, err = c.ioctl(unix.DM_DEV_STATUS, d.name, 0, nil, 0, headerSize)
			}
		default:
			return 0, fmt.Errorf("unknown read verb %q", verb)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(devs), nil
}

// message sends msg to sector 0 of the device.
func (c *control) message(name, msg string) error {
	p := make([]byte, (8+len(msg)+1+7)&^7)
	copy(p[8:], msg)
	_, _, err := c.ioctl(unix.DM_TARGET_MSG, name, 0, p, 0, smallBuf)
	return err
}

func (c *control) snap(pool string, origin, first, count int, prefix string, sectors int) (int, error) {
	h, _, err := c.ioctl(unix.DM_DEV_STATUS, pool, 0, nil, 0, headerSize)
	if err != nil {
		return 0, err
	}
	poolDev := strconv.Itoa(int(unix.Major(h.Dev))) + ":" + strconv.Itoa(int(unix.Minor(h.Dev)))
	for id := first; id < first+count; id++ {
		if err := c.message(pool, "create_snap "+strconv.Itoa(id)+" "+strconv.Itoa(origin)); err != nil {
			return 0, err
		}
		name := prefix + strconv.Itoa(id)
		if _, _, err := c.ioctl(unix.DM_DEV_CREATE, name, 0, nil, 0, headerSize); err != nil {
			return 0, err
		}
		params := poolDev + " " + strconv.Itoa(id)
		spec := make([]byte, specSize+(len(params)+1+7)&^7)
		s := (*unix.DmTargetSpec)(unsafe.Pointer(&spec[0]))
		s.Length = uint64(sectors)
		s.Next = uint32(len(spec))
		copy(s.Target_type[:], "thin")
		copy(spec[specSize:], params)
		if _, _, err := c.ioctl(unix.DM_TABLE_LOAD, name, 0, spec, 1, 0); err != nil {
			return 0, err
		}
		h, _, err := c.ioctl(unix.DM_DEV_SUSPEND, name, 0, nil, 0, headerSize)
		if err != nil {
			return 0, err
		}
		node := "/dev/mapper/" + name
		if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(unix.Major(h.Dev), unix.Minor(h.Dev)))); err != nil {
			return 0, fmt.Errorf("mknod %s: %w", node, err)
		}
	}
	return count, nil
}

func (c *control) unsnap(pool string, first, count int, prefix string) (int, error) {
	for id := first; id < first+count; id++ {
		name := prefix + strconv.Itoa(id)
		if _, _, err := c.ioctl(unix.DM_DEV_REMOVE, name, 0, nil, 0, headerSize); err != nil {
			return 0, err
		}
		unix.Unlink("/dev/mapper/" + name)
		if err := c.message(pool, "delete "+strconv.Itoa(id)); err != nil {
			return 0, err
		}
	}
	return count, nil
}
