package dmctl

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LoopControlPath is the loop driver's control node.
const LoopControlPath = "/dev/loop-control"

// LoopOptions modify how a file is attached to a loop device.
type LoopOptions struct {
	ReadOnly  bool // attach read-only
	DirectIO  bool // bypass the page cache of the backing file (LO_FLAGS_DIRECT_IO)
	Autoclear bool // detach when the last user closes the device (LO_FLAGS_AUTOCLEAR)
}

// LoopDevice is an attached loop device.
type LoopDevice struct {
	Path         string // /dev/loopN
	Dev          Dev
	BackingFile  string // as the kernel reports it (may be truncated to 64 bytes)
	BackingDev   uint64 // st_dev of the backing file
	BackingInode uint64 // st_ino of the backing file
	ReadOnly     bool
	Autoclear    bool
	DirectIO     bool
	SizeBytes    uint64

	// hold keeps an autoclear device open until its user (a dm table)
	// holds it: the kernel detaches an autoclear loop at its last close.
	hold *os.File
}

// Release closes the descriptor AttachLoop kept open on an autoclear loop
// device. Call it once the device's user has opened it (a pool table
// loaded and resumed); released while nobody else holds it, the device
// detaches itself, so a process killed before handing the device over
// leaves no loop behind.
func (d *LoopDevice) Release() error {
	if d.hold == nil {
		return nil
	}
	err := d.hold.Close()
	d.hold = nil
	return err
}

// loopAttachTries bounds the retries when another process takes the free
// loop device between LOOP_CTL_GET_FREE and the attach.
const loopAttachTries = 8

// AttachLoop attaches file to a free loop device with LOOP_CONFIGURE
// (Linux 5.8+), falling back to LOOP_SET_FD and LOOP_SET_STATUS64.
func AttachLoop(file string, opts LoopOptions) (LoopDevice, error) {
	mode := unix.O_RDWR
	if opts.ReadOnly {
		mode = unix.O_RDONLY
	}
	ffd, err := unix.Open(file, mode|unix.O_CLOEXEC, 0)
	if err != nil {
		return LoopDevice{}, &Error{Op: "loop attach", Device: file, Err: err}
	}
	defer unix.Close(ffd)
	ctl, err := unix.Open(LoopControlPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return LoopDevice{}, &Error{Op: "loop attach", Device: LoopControlPath, Err: err}
	}
	defer unix.Close(ctl)

	var flags uint32
	if opts.ReadOnly {
		flags |= unix.LO_FLAGS_READ_ONLY
	}
	if opts.Autoclear {
		flags |= unix.LO_FLAGS_AUTOCLEAR
	}
	if opts.DirectIO {
		flags |= unix.LO_FLAGS_DIRECT_IO
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	var lastErr error
	for range loopAttachTries {
		// LOOP_CTL_GET_FREE returns the device number in the syscall's
		// return value, so IoctlGetInt cannot be used.
		n, err := unix.IoctlRetInt(ctl, unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return LoopDevice{}, &Error{Op: "loop get free", Device: LoopControlPath, Err: err}
		}
		path := "/dev/loop" + strconv.Itoa(n)
		lfd, err := openLoopNode(path, n, mode)
		if err != nil {
			return LoopDevice{}, &Error{Op: "loop attach", Device: path, Err: err}
		}
		err = configureLoop(lfd, ffd, flags, abs)
		if errors.Is(err, unix.EBUSY) {
			unix.Close(lfd)
			lastErr = err
			continue // taken by someone else meanwhile: ask again
		}
		if err != nil {
			unix.Close(lfd)
			return LoopDevice{}, &Error{Op: "loop attach", Device: path + " (" + file + ")", Err: err}
		}
		d, err := LoopStatus(path)
		if err != nil || !opts.Autoclear {
			unix.Close(lfd)
			return d, err
		}
		d.hold = os.NewFile(uintptr(lfd), path)
		return d, nil
	}
	return LoopDevice{}, &Error{Op: "loop attach", Device: file, Err: fmt.Errorf("every free loop device was taken meanwhile: %w", lastErr)}
}

// openLoopNode opens /dev/loopN, making the node if devtmpfs has not.
func openLoopNode(path string, n, mode int) (int, error) {
	fd, err := unix.Open(path, mode|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		const loopMajor = 7
		if err := unix.Mknod(path, unix.S_IFBLK|0o660, int(unix.Mkdev(loopMajor, uint32(n)))); err != nil && !errors.Is(err, unix.EEXIST) {
			return -1, err
		}
		fd, err = unix.Open(path, mode|unix.O_CLOEXEC, 0)
	}
	return fd, err
}

func configureLoop(lfd, ffd int, flags uint32, name string) error {
	cfg := unix.LoopConfig{Fd: uint32(ffd)}
	cfg.Info.Flags = flags
	copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], name)
	err := unix.IoctlLoopConfigure(lfd, &cfg)
	if err == nil || (!errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOTTY)) {
		return err
	}
	// Kernels before 5.8 have no LOOP_CONFIGURE.
	if err := unix.IoctlSetInt(lfd, unix.LOOP_SET_FD, ffd); err != nil {
		return err
	}
	info := cfg.Info
	info.Flags &^= unix.LO_FLAGS_READ_ONLY // set by LOOP_SET_FD from the fd's mode
	if err := unix.IoctlLoopSetStatus64(lfd, &info); err != nil {
		unix.IoctlSetInt(lfd, unix.LOOP_CLR_FD, 0)
		return err
	}
	return nil
}

// LoopStatus reads an attached loop device's state (LOOP_GET_STATUS64).
func LoopStatus(path string) (LoopDevice, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return LoopDevice{}, &Error{Op: "loop status", Device: path, Err: err}
	}
	defer unix.Close(fd)
	info, err := unix.IoctlLoopGetStatus64(fd)
	if err != nil {
		return LoopDevice{}, &Error{Op: "loop status", Device: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return LoopDevice{}, &Error{Op: "loop status", Device: path, Err: err}
	}
	// A device-mapper device over a loop passes the ioctl down to it and
	// answers for it: only a device with sysfs's loop directory is one.
	if _, err := os.Stat(fmt.Sprintf("/sys/dev/block/%d:%d/loop", unix.Major(st.Rdev), unix.Minor(st.Rdev))); err != nil {
		return LoopDevice{}, &Error{Op: "loop status", Device: path, Err: fmt.Errorf("not a loop device: %w", unix.ENOTTY)}
	}
	d := LoopDevice{
		Path:         path,
		Dev:          MakeDev(unix.Major(st.Rdev), unix.Minor(st.Rdev)),
		BackingFile:  cString(info.File_name[:]),
		BackingDev:   info.Device,
		BackingInode: info.Inode,
		ReadOnly:     info.Flags&unix.LO_FLAGS_READ_ONLY != 0,
		Autoclear:    info.Flags&unix.LO_FLAGS_AUTOCLEAR != 0,
		DirectIO:     info.Flags&unix.LO_FLAGS_DIRECT_IO != 0,
	}
	// sysfs has the whole backing path where the ioctl truncates it.
	if b, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/loop/backing_file", d.Dev.Major(), d.Dev.Minor())); err == nil {
		d.BackingFile = strings.TrimSuffix(string(b), "\n")
	}
	if size, err := blockSize(fd); err == nil {
		d.SizeBytes = size
	}
	return d, nil
}

// LoopStatusOf reads the state of the loop device numbered dev, found
// through sysfs (no /dev/block links are needed). A device that is not
// an attached loop device is an error wrapping ENOTTY.
func LoopStatusOf(dev Dev) (LoopDevice, error) {
	name := BlockName(dev)
	if !strings.HasPrefix(name, "loop") {
		return LoopDevice{}, &Error{Op: "loop status", Device: dev.String(), Err: fmt.Errorf("not a loop device: %w", unix.ENOTTY)}
	}
	d, err := LoopStatus("/dev/" + name)
	if err != nil {
		return LoopDevice{}, err
	}
	if d.Dev != dev {
		return LoopDevice{}, &Error{Op: "loop status", Device: dev.String(), Err: fmt.Errorf("/dev/%s is device %s: %w", name, d.Dev, unix.ENXIO)}
	}
	return d, nil
}

// ListLoops returns every attached loop device.
func ListLoops() ([]LoopDevice, error) {
	entries, err := os.ReadDir("/sys/block")
	if err != nil {
		return nil, &Error{Op: "list loops", Device: "/sys/block", Err: err}
	}
	var out []LoopDevice
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "loop") {
			continue
		}
		if _, err := os.Stat(filepath.Join("/sys/block", name, "loop")); err != nil {
			continue // not attached
		}
		d, err := LoopStatus("/dev/" + name)
		if err != nil {
			continue // detached meanwhile, or no node
		}
		out = append(out, d)
	}
	return out, nil
}

// FindLoop returns the loop device attached to file (matched by the
// file's device and inode, as the kernel records them), if any.
func FindLoop(file string) (LoopDevice, bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		return LoopDevice{}, false, &Error{Op: "find loop", Device: file, Err: err}
	}
	loops, err := ListLoops()
	if err != nil {
		return LoopDevice{}, false, err
	}
	for _, d := range loops {
		if d.BackingDev == uint64(st.Dev) && d.BackingInode == st.Ino {
			return d, true, nil
		}
	}
	return LoopDevice{}, false, nil
}

// SetLoopCapacity makes the loop device pick up its backing file's new
// size (LOOP_SET_CAPACITY).
func SetLoopCapacity(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{Op: "loop set capacity", Device: path, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.IoctlSetInt(fd, unix.LOOP_SET_CAPACITY, 0); err != nil {
		return &Error{Op: "loop set capacity", Device: path, Err: err}
	}
	return nil
}

// DetachLoop detaches the loop device from its file (LOOP_CLR_FD). When
// the device is still open the kernel detaches it at the last close.
func DetachLoop(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{Op: "loop detach", Device: path, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.IoctlSetInt(fd, unix.LOOP_CLR_FD, 0); err != nil && !errors.Is(err, unix.ENXIO) {
		return &Error{Op: "loop detach", Device: path, Err: err}
	}
	return nil
}
