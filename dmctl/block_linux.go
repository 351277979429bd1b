package dmctl

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fitrim is FITRIM, _IOWR('X', 121, struct fstrim_range); x/sys lacks it.
const fitrim = 0xc0185879

// fstrimRange is struct fstrim_range.
type fstrimRange struct {
	Start  uint64
	Len    uint64
	Minlen uint64
}

func ioctlPtr(fd int, req uintptr, p unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(p))
	if errno != 0 {
		return errno
	}
	return nil
}

func blockSize(fd int) (uint64, error) {
	var size uint64
	err := ioctlPtr(fd, unix.BLKGETSIZE64, unsafe.Pointer(&size))
	return size, err
}

// DeviceSize returns the size in bytes of a block device (BLKGETSIZE64) or
// of a regular file.
func DeviceSize(path string) (uint64, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, &Error{Op: "size", Device: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, &Error{Op: "size", Device: path, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		return uint64(st.Size), nil
	}
	size, err := blockSize(fd)
	if err != nil {
		return 0, &Error{Op: "size", Device: path, Err: err}
	}
	return size, nil
}

// LogicalSectorSize returns a block device's logical sector size (BLKSSZGET).
func LogicalSectorSize(path string) (uint32, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, &Error{Op: "sector size", Device: path, Err: err}
	}
	defer unix.Close(fd)
	n, err := unix.IoctlGetInt(fd, unix.BLKSSZGET)
	if err != nil {
		return 0, &Error{Op: "sector size", Device: path, Err: err}
	}
	return uint32(n), nil
}

// IsBlockDevice reports whether path is a block device, and its number.
func IsBlockDevice(path string) (Dev, bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, false, &Error{Op: "stat", Device: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, false, nil
	}
	return MakeDev(unix.Major(st.Rdev), unix.Minor(st.Rdev)), true, nil
}

// Discard discards a byte range of a block device (BLKDISCARD): the
// storage below may reclaim it, and a thin device gives its blocks back to
// the pool.
func Discard(path string, offset, length uint64) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{Op: "discard", Device: path, Err: err}
	}
	defer unix.Close(fd)
	r := [2]uint64{offset, length}
	if err := ioctlPtr(fd, unix.BLKDISCARD, unsafe.Pointer(&r)); err != nil {
		return &Error{Op: "discard", Device: path, Err: err}
	}
	return nil
}

// PunchHole deallocates a byte range of a file, keeping its size
// (fallocate PUNCH_HOLE|KEEP_SIZE): the range reads as zeros afterwards.
func PunchHole(file string, offset, length uint64) error {
	fd, err := unix.Open(file, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{Op: "punch hole", Device: file, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(offset), int64(length)); err != nil {
		return &Error{Op: "punch hole", Device: file, Err: err}
	}
	return nil
}

// AllocatedBytes returns how much storage a file really uses (st_blocks).
func AllocatedBytes(file string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		return 0, &Error{Op: "stat", Device: file, Err: err}
	}
	return uint64(st.Blocks) * 512, nil
}

// FITrim asks the filesystem mounted at mountpoint to discard its unused
// blocks (FITRIM, what fstrim does) and returns the bytes it trimmed.
func FITrim(mountpoint string) (uint64, error) {
	fd, err := unix.Open(mountpoint, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, &Error{Op: "fitrim", Device: mountpoint, Err: err}
	}
	defer unix.Close(fd)
	r := fstrimRange{Len: ^uint64(0)}
	if err := ioctlPtr(fd, fitrim, unsafe.Pointer(&r)); err != nil {
		return 0, &Error{Op: "fitrim", Device: mountpoint, Err: err}
	}
	return r.Len, nil
}

// Mount mounts source on target with mount(8)-style options: generic ones
// such as ro, noexec or noatime become mount flags, the rest are passed to
// the filesystem. readOnly mounts read-only whatever the options say.
func Mount(source, target, fstype, options string, readOnly bool) error {
	flags, data := parseMountOptions(options)
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return &Error{Op: "mount", Device: source + " on " + target, Err: err}
	}
	return nil
}

// mountFlagWords are the options mount(8) turns into mount(2) flags rather
// than passing them to the filesystem: each sets (or, with clear, clears)
// its flag. Later words win, as in mount(8).
var mountFlagWords = map[string]struct {
	flag  uintptr
	clear bool
}{
	"ro":          {unix.MS_RDONLY, false},
	"rw":          {unix.MS_RDONLY, true},
	"nosuid":      {unix.MS_NOSUID, false},
	"suid":        {unix.MS_NOSUID, true},
	"nodev":       {unix.MS_NODEV, false},
	"dev":         {unix.MS_NODEV, true},
	"noexec":      {unix.MS_NOEXEC, false},
	"exec":        {unix.MS_NOEXEC, true},
	"sync":        {unix.MS_SYNCHRONOUS, false},
	"async":       {unix.MS_SYNCHRONOUS, true},
	"dirsync":     {unix.MS_DIRSYNC, false},
	"noatime":     {unix.MS_NOATIME, false},
	"atime":       {unix.MS_NOATIME, true},
	"nodiratime":  {unix.MS_NODIRATIME, false},
	"diratime":    {unix.MS_NODIRATIME, true},
	"relatime":    {unix.MS_RELATIME, false},
	"norelatime":  {unix.MS_RELATIME, true},
	"strictatime": {unix.MS_STRICTATIME, false},
	"lazytime":    {unix.MS_LAZYTIME, false},
	"nolazytime":  {unix.MS_LAZYTIME, true},
	"mand":        {unix.MS_MANDLOCK, false},
	"nomand":      {unix.MS_MANDLOCK, true},
	"silent":      {unix.MS_SILENT, false},
	"loud":        {unix.MS_SILENT, true},
	"defaults":    {0, false},
}

// parseMountOptions splits comma-separated mount options as mount(8)
// does: the generic ones (ro, nosuid, noatime, ...) become mount(2) flags,
// the rest stay filesystem data, in order.
func parseMountOptions(options string) (flags uintptr, data string) {
	var rest []string
	for _, o := range strings.Split(options, ",") {
		if o == "" {
			continue
		}
		w, ok := mountFlagWords[o]
		switch {
		case !ok:
			rest = append(rest, o)
		case w.clear:
			flags &^= w.flag
		default:
			flags |= w.flag
		}
	}
	return flags, strings.Join(rest, ",")
}

// Unmount unmounts target; with detach, lazily (MNT_DETACH).
func Unmount(target string, detach bool) error {
	flags := 0
	if detach {
		flags = unix.MNT_DETACH
	}
	if err := unix.Unmount(target, flags); err != nil {
		return &Error{Op: "umount", Device: target, Err: err}
	}
	return nil
}

// Sync flushes all filesystems' dirty data (sync(2)).
func Sync() { unix.Sync() }

// ReadAhead returns a block device's read-ahead in 512-byte sectors, from
// sysfs (bdi/read_ahead_kb), as libdevmapper reports it. It reads the
// small file into a small buffer: info reads it for every device.
func ReadAhead(dev Dev) (uint32, error) {
	for _, f := range [...]string{"/bdi/read_ahead_kb", "/queue/read_ahead_kb"} {
		var buf [32]byte
		n, err := readSmallFile(sysBlockPath(dev, f), buf[:])
		if err != nil {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSpace(string(buf[:n])), 10, 32)
		if err != nil {
			return 0, &Error{Op: "read ahead", Device: dev.String(), Err: err}
		}
		return uint32(kb * 2), nil
	}
	return 0, &Error{Op: "read ahead", Device: dev.String(), Err: unix.ENOENT}
}

// sysBlockPath returns /sys/dev/block/MAJ:MIN followed by suffix.
func sysBlockPath(dev Dev, suffix string) string {
	b := make([]byte, 0, 40+len(suffix))
	b = append(b, "/sys/dev/block/"...)
	b = strconv.AppendUint(b, uint64(dev.Major()), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(dev.Minor()), 10)
	b = append(b, suffix...)
	return string(b)
}

// readSmallFile reads at most len(buf) bytes of a (sysfs) file.
func readSmallFile(path string, buf []byte) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n, err
	}
}

// BlockName returns the kernel name of a block device ("dm-3", "loop0"),
// from sysfs.
func BlockName(dev Dev) string {
	target, err := os.Readlink(sysBlockPath(dev, ""))
	if err != nil {
		return ""
	}
	return target[strings.LastIndexByte(target, '/')+1:]
}
