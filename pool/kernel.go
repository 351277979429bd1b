//go:build linux

package pool

import (
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

// mapperDir is where device-mapper nodes live.
const mapperDir = "/dev/mapper/"

// DM is the part of device-mapper's control interface a pool uses. A
// *dmctl.Control satisfies it.
type DM interface {
	Info(name string) (dmctl.DeviceInfo, error)
	InfoByDev(dev dmctl.Dev) (dmctl.DeviceInfo, error)
	List(opts dmctl.ListOptions) ([]dmctl.NameEntry, error)
	CreateDevice(name, uuid string, targets []dmctl.Target, readOnly bool) (dmctl.DeviceInfo, error)
	Load(name string, targets []dmctl.Target, readOnly bool) (dmctl.DeviceInfo, error)
	ClearTable(name string) (dmctl.DeviceInfo, error)
	Suspend(name string, opts dmctl.SuspendOptions) (dmctl.DeviceInfo, error)
	Resume(name string) (dmctl.DeviceInfo, error)
	Remove(name string, opts dmctl.RemoveOptions) (dmctl.DeviceInfo, error)
	Status(name string, opts dmctl.StatusOptions) (dmctl.DeviceInfo, []dmctl.Target, error)
	Table(name string, opts dmctl.StatusOptions) (dmctl.DeviceInfo, []dmctl.Target, error)
	Message(name string, sector uint64, msg string) (string, error)
}

// System is what a pool uses of the machine besides device-mapper: loop
// and block devices, mounts, mkfs and filesystem probing. HostSystem is
// the real one.
type System interface {
	// AttachLoop attaches file to a free loop device. With Autoclear the
	// returned device stays attached until Release is called on it.
	AttachLoop(file string, opts dmctl.LoopOptions) (dmctl.LoopDevice, error)
	// FindLoop finds the loop device attached to file.
	FindLoop(file string) (dmctl.LoopDevice, bool, error)
	// LoopStatusOf reads the state of the loop device numbered dev (an
	// error wrapping ENOTTY when it is not one).
	LoopStatusOf(dev dmctl.Dev) (dmctl.LoopDevice, error)
	// SetLoopCapacity makes a loop device pick up its file's new size.
	SetLoopCapacity(path string) error
	// DetachLoop detaches a loop device.
	DetachLoop(path string) error
	// DeviceSize returns the size in bytes of a block device or file.
	DeviceSize(path string) (uint64, error)
	// IsBlockDevice reports whether path is a block device, and its number.
	IsBlockDevice(path string) (dmctl.Dev, bool, error)
	// Discard discards a byte range of a block device.
	Discard(path string, offset, length uint64) error
	// Sync flushes all filesystems.
	Sync()
	// Mount mounts source on target.
	Mount(source, target, fstype, data string, readOnly bool) error
	// Unmount unmounts target, lazily with detach.
	Unmount(target string, detach bool) error
	// MountPoints returns dev's mount points in the caller's namespace.
	MountPoints(dev dmctl.Dev) ([]string, error)
	// Mounts returns the mount points of every device in the caller's
	// namespace, for a caller that asks about many devices.
	Mounts() (Mounts, error)
	// Holders names what keeps dev busy (see the package's Holders).
	Holders(dev dmctl.Dev, devPaths []string) ([]Holder, error)
	// Mkfs runs the mkfs program for fstype on device with args.
	Mkfs(fstype, device string, args []string) error
	// ProbeFilesystem identifies the filesystem on a device.
	ProbeFilesystem(device string) (FSInfo, error)
	// ProbeSignature looks for any signature that says a device holds
	// something (see the package's ProbeSignature).
	ProbeSignature(device string) (Signature, bool, error)
	// FSFree returns the free bytes of the filesystem holding path.
	FSFree(path string) (uint64, error)
	// FSStat returns the free and total bytes of the filesystem holding
	// path.
	FSStat(path string) (free, total uint64, err error)
	// Allocated returns the bytes a file really uses (st_blocks).
	Allocated(path string) (uint64, error)
	// SetXFSNospaceMaxRetries writes value to the xfs error
	// configuration of the mounted device dev (how often a metadata
	// write that failed for lack of space is retried).
	SetXFSNospaceMaxRetries(dev dmctl.Dev, value string) error
}

// Env is what pool operations run against.
type Env struct {
	DM  DM
	Sys System
	// LVM runs LVM's tools (adopted LVM pools, direct-lvm); nil means
	// HostLVM.
	LVM LVM
	// LockTimeout bounds the wait for another dmctl working on the same
	// root; zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// Now returns the time recorded in new devices; nil means time.Now.
	Now func() time.Time

	// storeHook, when set, runs before every change of a state file
	// (tests stop operations at any step with it).
	storeHook func(op, path string) error
	// verifyMetadata, when set, replaces the walk of the metadata before
	// a pool is loaded (the fake kernel writes a superblock only).
	verifyMetadata func(path string) error
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) lvm() LVM {
	if e.LVM != nil {
		return e.LVM
	}
	return HostLVM{}
}

func (e Env) lockTimeout() time.Duration {
	if e.LockTimeout > 0 {
		return e.LockTimeout
	}
	return DefaultLockTimeout
}
