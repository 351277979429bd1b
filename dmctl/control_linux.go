package dmctl

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ControlPath is where the device-mapper control node lives.
const ControlPath = "/dev/mapper/control"

// Control owns one open /dev/mapper/control file descriptor. Every
// device-mapper operation is a method on it; the descriptor carries no
// per-device state, so one Control serves a whole process. A Control is
// safe for concurrent use.
type Control struct {
	fd      int
	version Version // the kernel's ioctl interface version, read at Open
	// nodes decides how /dev/mapper/<name> nodes are kept (see nodes_linux.go).
	nodes nodePolicy
	// listHint is the buffer size the last device list needed: the next
	// list (the device count changes little within a process) starts
	// there. Other requests do not use it (see replyBufferSize).
	listHint atomic.Int64
	// bufs keeps request buffers of replyBufferSize for reuse, so that a
	// read over thousands of devices does not allocate one per request.
	bufs sync.Pool // of *[]uint64
}

// Open opens the device-mapper control node, creating it from /proc/misc
// when it is missing (as libdevmapper does), and reads the kernel's ioctl
// interface version. It returns ErrUnavailable when the kernel has no
// device-mapper and ErrPermission when the caller is not root.
func Open() (*Control, error) {
	fd, err := openControl()
	if err != nil {
		return nil, err
	}
	c := &Control{fd: fd, nodes: detectNodePolicy()}
	r, err := c.run(&request{cmd: unix.DM_VERSION, op: "version"}, nil)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.version = r.version
	return c, nil
}

func openControl() (int, error) {
	fd, err := unix.Open(ControlPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err == nil {
		return fd, nil
	}
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENODEV):
		minor, ok := miscMinor("/proc/misc", "device-mapper")
		if !ok {
			return -1, ErrUnavailable
		}
		if os.Geteuid() != 0 {
			return -1, ErrPermission
		}
		if err := createControlNode(minor); err != nil {
			return -1, &Error{Op: "create control node", Device: ControlPath, Err: err}
		}
		fd, err = unix.Open(ControlPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, &Error{Op: "open", Device: ControlPath, Err: err}
		}
		return fd, nil
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return -1, ErrPermission
	}
	return -1, &Error{Op: "open", Device: ControlPath, Err: err}
}

// miscMinor finds the minor number of a misc device in /proc/misc.
func miscMinor(path, name string) (uint32, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && fields[1] == name {
			n, err := strconv.ParseUint(fields[0], 10, 32)
			if err != nil {
				return 0, false
			}
			return uint32(n), true
		}
	}
	return 0, false
}

func createControlNode(minor uint32) error {
	if err := os.MkdirAll("/dev/mapper", 0o755); err != nil {
		return err
	}
	const miscMajor = 10
	err := unix.Mknod(ControlPath, unix.S_IFCHR|0o600, int(unix.Mkdev(miscMajor, minor)))
	if errors.Is(err, unix.EEXIST) {
		// A stale node (wrong numbers): replace it.
		if err := os.Remove(ControlPath); err != nil {
			return err
		}
		err = unix.Mknod(ControlPath, unix.S_IFCHR|0o600, int(unix.Mkdev(miscMajor, minor)))
	}
	return err
}

// Close closes the control descriptor.
func (c *Control) Close() error {
	if c == nil || c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	return err
}

// KernelVersion returns the ioctl interface version the kernel reported at
// Open.
func (c *Control) KernelVersion() Version { return c.version }

// run sends one request and, when decode is not nil, hands it the reply
// while the reply's buffer is valid: decode must copy what it keeps of the
// reply's data. When the kernel sets DM_BUFFER_FULL_FLAG on a request whose
// reply may grow, the request is sent again with a larger buffer. run
// returns the reply's header (its data is nil) and decode's error.
func (c *Control) run(r *request, decode func(reply) error) (reply, error) {
	device := r.name
	if device == "" {
		device = r.uuid
	}
	if device == "" && r.dev != 0 {
		device = r.dev.String()
	}
	if err := r.check(); err != nil {
		return reply{}, &Error{Op: r.op, Device: device, Err: fmt.Errorf("%w: %w", unix.EINVAL, err)}
	}
	size := r.initialSize(int(c.listHint.Load()))
	for {
		words, b := c.getBuffer(size)
		encodeInto(b, r)
		mark := -1
		if mayLog(r.cmd) {
			mark = kmsgMark()
		}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(c.fd), r.cmd, uintptr(unsafe.Pointer(&b[0])))
		runtime.KeepAlive(b)
		if errno != 0 {
			err := c.ioctlError(r.op, device, errno, mark)
			if mark >= 0 {
				unix.Close(mark)
			}
			c.putBuffer(words, b, len(r.payload))
			return reply{}, err
		}
		if mark >= 0 {
			unix.Close(mark)
		}
		rep, err := decodeReplyFor(b, r.name)
		if err != nil {
			c.putBuffer(words, b, len(r.payload))
			return reply{}, &Error{Op: r.op, Device: device, Err: err}
		}
		if rep.info.Flags&FlagBufferFull == 0 {
			if r.sizing == sizeList {
				c.listHint.Store(int64(size))
			}
			if decode != nil {
				err = decode(rep)
			}
			c.putBuffer(words, b, len(r.payload))
			rep.data = nil
			return rep, err
		}
		c.putBuffer(words, b, len(r.payload))
		next, ok := r.grow(size)
		if !ok {
			return reply{}, &Error{Op: r.op, Device: device, Err: fmt.Errorf("reply larger than %d bytes: %w", size, unix.ENOBUFS)}
		}
		size = next
	}
}

// getBuffer returns an 8-byte aligned buffer of size bytes, from the pool
// when it is not larger than replyBufferSize. Its content is unspecified.
func (c *Control) getBuffer(size int) (*[]uint64, []byte) {
	if size <= replyBufferSize {
		if w, ok := c.bufs.Get().(*[]uint64); ok {
			return w, wordBytes(*w)[:size]
		}
		w := make([]uint64, replyBufferSize/8)
		return &w, wordBytes(w)[:size]
	}
	w := make([]uint64, (size+7)/8)
	return &w, wordBytes(w)[:size]
}

// putBuffer returns a buffer from getBuffer to the pool, first clearing
// what the request (with a payload of that many bytes) and its reply wrote
// there: a table may hold key material.
func (c *Control) putBuffer(w *[]uint64, b []byte, payload int) {
	if len(*w) != replyBufferSize/8 {
		return // a grown buffer: let it go
	}
	used := min(max(headerSize+payload, int(ne.Uint32(b[offDataSize:]))), len(b))
	clear(b[:used])
	c.bufs.Put(w)
}

// wordBytes returns the bytes of w.
func wordBytes(w []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), len(w)*8)
}

// ioctlError wraps an errno, adding the kernel's own reason when it logged
// one and a hint for the errors a user can fix.
func (c *Control) ioctlError(op, device string, errno unix.Errno, mark int) error {
	if errno == unix.EACCES || errno == unix.EPERM {
		return &Error{Op: op, Device: device, Err: fmt.Errorf("%w: %w", ErrPermission, errno)}
	}
	e := &Error{Op: op, Device: device, Err: errno}
	if mark >= 0 && errno != unix.ENXIO {
		e.Kernel = kernelReason(mark)
	}
	return e
}

// mayLog reports whether a request can make device-mapper log a reason for
// failing; only those pay for marking the kernel log.
func mayLog(cmd uintptr) bool {
	switch cmd {
	case unix.DM_TABLE_LOAD, unix.DM_TARGET_MSG, unix.DM_DEV_CREATE, unix.DM_DEV_SUSPEND,
		unix.DM_DEV_RENAME, unix.DM_DEV_REMOVE, unix.DM_REMOVE_ALL:
		return true
	}
	return false
}
