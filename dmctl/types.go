package dmctl

import (
	"fmt"
	"strconv"
	"strings"
)

// Dev is a device number as the kernel's dm ioctls carry it: the "huge"
// encoding of dev_t, (minor & 0xff) | (major << 8) | ((minor &^ 0xff) << 12).
// It is the same encoding as Linux's new_encode_dev and glibc's makedev.
type Dev uint64

// MakeDev returns the Dev of a major and minor number.
func MakeDev(major, minor uint32) Dev {
	return Dev(uint64(minor&0xff) | uint64(major&0xfff)<<8 |
		uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32)
}

// Major returns the major number.
func (d Dev) Major() uint32 {
	return uint32((d>>8)&0xfff) | uint32((d>>32)&^0xfff)
}

// Minor returns the minor number.
func (d Dev) Minor() uint32 {
	return uint32(d&0xff) | uint32((d>>12)&^0xff)
}

// String returns "MAJ:MIN", the form device-mapper tables accept.
func (d Dev) String() string {
	return strconv.FormatUint(uint64(d.Major()), 10) + ":" + strconv.FormatUint(uint64(d.Minor()), 10)
}

// ParseDev parses "MAJ:MIN".
func ParseDev(s string) (Dev, error) {
	maj, min, ok := strings.Cut(s, ":")
	if !ok {
		return 0, fmt.Errorf("device number %q: want MAJOR:MINOR", s)
	}
	ma, err := strconv.ParseUint(maj, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("device number %q: bad major: %w", s, err)
	}
	mi, err := strconv.ParseUint(min, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("device number %q: bad minor: %w", s, err)
	}
	return MakeDev(uint32(ma), uint32(mi)), nil
}

// Version is a three-part version number, of the ioctl interface or of a
// target type.
type Version [3]uint32

// String returns "MAJOR.MINOR.PATCH".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// AtLeast reports whether v >= major.minor.patch.
func (v Version) AtLeast(major, minor, patch uint32) bool {
	if v[0] != major {
		return v[0] > major
	}
	if v[1] != minor {
		return v[1] > minor
	}
	return v[2] >= patch
}

// Flags are the dm_ioctl flags the kernel reports for a device.
type Flags uint32

// The flags of struct dm_ioctl that callers may see (values from dm-ioctl.h).
const (
	FlagReadOnly        Flags = 1 << 0
	FlagSuspended       Flags = 1 << 1
	FlagActivePresent   Flags = 1 << 5
	FlagInactivePresent Flags = 1 << 6
	FlagBufferFull      Flags = 1 << 8
	FlagUeventGenerated Flags = 1 << 13
	FlagDataOut         Flags = 1 << 16
	FlagDeferredRemove  Flags = 1 << 17
	FlagInternalSuspend Flags = 1 << 18
)

// DeviceInfo is what the kernel reports about one device in the dm_ioctl
// header of a reply (DM_DEV_STATUS and most other requests).
type DeviceInfo struct {
	Name        string
	UUID        string
	Dev         Dev
	OpenCount   int32
	EventNr     uint32
	TargetCount uint32
	Flags       Flags
}

// Suspended reports whether the device is suspended.
func (i DeviceInfo) Suspended() bool { return i.Flags&FlagSuspended != 0 }

// ReadOnly reports whether the device is read-only.
func (i DeviceInfo) ReadOnly() bool { return i.Flags&FlagReadOnly != 0 }

// LiveTable reports whether the device has a live (active) table.
func (i DeviceInfo) LiveTable() bool { return i.Flags&FlagActivePresent != 0 }

// InactiveTable reports whether the device has an inactive table loaded.
func (i DeviceInfo) InactiveTable() bool { return i.Flags&FlagInactivePresent != 0 }

// DeferredRemove reports whether a deferred removal is pending.
func (i DeviceInfo) DeferredRemove() bool { return i.Flags&FlagDeferredRemove != 0 }

// Target is one line of a device-mapper table: Length sectors starting at
// Start, mapped by target Type with Params. In a status reply Params holds
// the target's status text instead.
type Target struct {
	Start  uint64 // first sector, in 512-byte sectors
	Length uint64 // length, in 512-byte sectors
	Type   string // target type, e.g. "linear", "thin-pool"
	Params string // table parameters, or status text
}

// String returns the target as a table line: "start length type params".
func (t Target) String() string {
	s := strconv.FormatUint(t.Start, 10) + " " + strconv.FormatUint(t.Length, 10) + " " + t.Type
	if t.Params != "" {
		s += " " + t.Params
	}
	return s
}

// NameEntry is one device of a DM_LIST_DEVICES reply.
type NameEntry struct {
	Name    string
	Dev     Dev
	EventNr uint32 // 0 when the kernel does not report it (ioctl < 4.37)
	UUID    string // set only when UUIDs were asked for and the device has one
}

// TargetVersion is one target type registered with the kernel.
type TargetVersion struct {
	Name    string
	Version Version
}

// SuspendOptions modify a suspend.
type SuspendOptions struct {
	NoFlush  bool // do not flush queued I/O (DM_NOFLUSH_FLAG)
	NoLockFS bool // do not freeze the filesystem (DM_SKIP_LOCKFS_FLAG)
}

// RemoveOptions modify a removal.
type RemoveOptions struct {
	Deferred bool // remove when the last opener closes (DM_DEFERRED_REMOVE)
	Retry    bool // retry for a bounded time while the device is busy
	Force    bool // first make the table fail all I/O (dmsetup remove --force)
}

// StatusOptions select what a status or table request reads.
type StatusOptions struct {
	Inactive bool // read the inactive table (DM_QUERY_INACTIVE_TABLE_FLAG)
	NoFlush  bool // do not let the target commit or flush before reporting
}

// typeLen is DM_MAX_TYPE_NAME, the size of a target type name including
// its NUL.
const typeLen = 16
