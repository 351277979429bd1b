package pool

import (
	"fmt"
	"os"
	"syscall"

	"github.com/dmctl/dmctl/dmctl"
)

// HostSystem is the real System: dmctl's loop, block and mount helpers,
// the mkfs programs, and the filesystem probe and holder search of this
// package.
type HostSystem struct{}

var _ System = HostSystem{}

// AttachLoop implements System.
func (HostSystem) AttachLoop(file string, opts dmctl.LoopOptions) (dmctl.LoopDevice, error) {
	return dmctl.AttachLoop(file, opts)
}

// FindLoop implements System.
func (HostSystem) FindLoop(file string) (dmctl.LoopDevice, bool, error) { return dmctl.FindLoop(file) }

// LoopStatusOf implements System.
func (HostSystem) LoopStatusOf(dev dmctl.Dev) (dmctl.LoopDevice, error) {
	return dmctl.LoopStatusOf(dev)
}

// SetLoopCapacity implements System.
func (HostSystem) SetLoopCapacity(path string) error { return dmctl.SetLoopCapacity(path) }

// DetachLoop implements System.
func (HostSystem) DetachLoop(path string) error { return dmctl.DetachLoop(path) }

// DeviceSize implements System.
func (HostSystem) DeviceSize(path string) (uint64, error) { return dmctl.DeviceSize(path) }

// IsBlockDevice implements System.
func (HostSystem) IsBlockDevice(path string) (dmctl.Dev, bool, error) {
	return dmctl.IsBlockDevice(path)
}

// Discard implements System.
func (HostSystem) Discard(path string, offset, length uint64) error {
	return dmctl.Discard(path, offset, length)
}

// Sync implements System.
func (HostSystem) Sync() { dmctl.Sync() }

// Mount implements System.
func (HostSystem) Mount(source, target, fstype, data string, readOnly bool) error {
	return dmctl.Mount(source, target, fstype, data, readOnly)
}

// Unmount implements System.
func (HostSystem) Unmount(target string, detach bool) error { return dmctl.Unmount(target, detach) }

// MountPoints implements System.
func (HostSystem) MountPoints(dev dmctl.Dev) ([]string, error) { return MountPoints(dev) }

// Mounts implements System.
func (HostSystem) Mounts() (Mounts, error) { return ReadMounts() }

// Holders implements System.
func (HostSystem) Holders(dev dmctl.Dev, devPaths []string) ([]Holder, error) {
	return Holders(dev, devPaths)
}

// Mkfs implements System by running mkfs.<fstype>.
func (HostSystem) Mkfs(fstype, device string, args []string) error {
	return runMkfs(fstype, device, args)
}

// ProbeFilesystem implements System by reading the device's superblocks.
func (HostSystem) ProbeFilesystem(device string) (FSInfo, error) {
	f, err := os.Open(device)
	if err != nil {
		return FSInfo{}, fmt.Errorf("probe filesystem: %w", err)
	}
	defer f.Close()
	info, err := ProbeFilesystem(f)
	if err != nil {
		return FSInfo{}, fmt.Errorf("%s: %w", device, err)
	}
	return info, nil
}

// ProbeSignature implements System by reading the start and the end of
// the device.
func (HostSystem) ProbeSignature(device string) (Signature, bool, error) {
	size, err := dmctl.DeviceSize(device)
	if err != nil {
		return Signature{}, false, err
	}
	f, err := os.Open(device)
	if err != nil {
		return Signature{}, false, fmt.Errorf("probe signatures: %w", err)
	}
	defer f.Close()
	s, ok, err := ProbeSignature(f, int64(size))
	if err != nil {
		return Signature{}, false, fmt.Errorf("%s: %w", device, err)
	}
	return s, ok, nil
}

// FSStat implements System with statfs(2).
func (HostSystem) FSStat(path string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Bfree * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// SetXFSNospaceMaxRetries implements System: it writes
// /sys/fs/xfs/<dm-N>/error/metadata/ENOSPC/max_retries, as Docker did.
func (HostSystem) SetXFSNospaceMaxRetries(dev dmctl.Dev, value string) error {
	name := dmctl.BlockName(dev)
	if name == "" {
		return fmt.Errorf("xfs error configuration of %s: no such block device", dev)
	}
	path := "/sys/fs/xfs/" + name + "/error/metadata/ENOSPC/max_retries"
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		return fmt.Errorf("set dm.xfs_nospace_max_retries: %w", err)
	}
	return nil
}

// Allocated implements System.
func (HostSystem) Allocated(path string) (uint64, error) { return dmctl.AllocatedBytes(path) }

// FSFree implements System with statfs(2).
func (HostSystem) FSFree(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Bfree * uint64(st.Bsize), nil
}
