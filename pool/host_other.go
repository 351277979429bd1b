//go:build !linux

package pool

import "github.com/dmctl/dmctl/dmctl"

// HostSystem is the real System; device-mapper, loop devices and the
// rest exist only on Linux, so here every method fails with
// dmctl.ErrUnavailable.
type HostSystem struct{}

var _ System = HostSystem{}

// AttachLoop implements System.
func (HostSystem) AttachLoop(string, dmctl.LoopOptions) (dmctl.LoopDevice, error) {
	return dmctl.LoopDevice{}, dmctl.ErrUnavailable
}

// FindLoop implements System.
func (HostSystem) FindLoop(string) (dmctl.LoopDevice, bool, error) {
	return dmctl.LoopDevice{}, false, dmctl.ErrUnavailable
}

// SetLoopCapacity implements System.
func (HostSystem) SetLoopCapacity(string) error { return dmctl.ErrUnavailable }

// DetachLoop implements System.
func (HostSystem) DetachLoop(string) error { return dmctl.ErrUnavailable }

// DeviceSize implements System.
func (HostSystem) DeviceSize(string) (uint64, error) { return 0, dmctl.ErrUnavailable }

// IsBlockDevice implements System.
func (HostSystem) IsBlockDevice(string) (dmctl.Dev, bool, error) {
	return 0, false, dmctl.ErrUnavailable
}

// Discard implements System.
func (HostSystem) Discard(string, uint64, uint64) error { return dmctl.ErrUnavailable }

// Sync implements System.
func (HostSystem) Sync() {}

// Mount implements System.
func (HostSystem) Mount(string, string, string, string, bool) error { return dmctl.ErrUnavailable }

// Unmount implements System.
func (HostSystem) Unmount(string, bool) error { return dmctl.ErrUnavailable }

// MountPoints implements System.
func (HostSystem) MountPoints(dmctl.Dev) ([]string, error) { return nil, dmctl.ErrUnavailable }

// Holders implements System.
func (HostSystem) Holders(dmctl.Dev, []string) ([]Holder, error) { return nil, dmctl.ErrUnavailable }

// Mkfs implements System.
func (HostSystem) Mkfs(string, string, []string) error { return dmctl.ErrUnavailable }

// ProbeFilesystem implements System.
func (HostSystem) ProbeFilesystem(string) (FSInfo, error) { return FSInfo{}, dmctl.ErrUnavailable }

// ProbeSignature implements System.
func (HostSystem) ProbeSignature(string) (Signature, bool, error) {
	return Signature{}, false, dmctl.ErrUnavailable
}

// FSFree implements System.
func (HostSystem) FSFree(string) (uint64, error) { return 0, dmctl.ErrUnavailable }
