package dmctl

import (
	"errors"
	"strings"
)

// ErrUnavailable is returned when the kernel has no device-mapper (no
// /dev/mapper/control and no device-mapper line in /proc/misc).
var ErrUnavailable = errors.New("device-mapper is not available in this kernel (try: modprobe dm_mod)")

// ErrPermission is returned when the caller lacks CAP_SYS_ADMIN.
var ErrPermission = errors.New("device-mapper needs root (CAP_SYS_ADMIN)")

// Error is a failed device-mapper or block operation. It names the
// operation and the device, wraps the cause (usually a unix.Errno, so that
// errors.Is works) and carries the kernel's own reason when it logged one.
type Error struct {
	Op     string // operation, e.g. "table load" or "message"
	Device string // device name, path or number; may be empty
	Err    error  // the cause, usually a unix.Errno
	Kernel string // what the kernel logged about it, if anything
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Device != "" {
		b.WriteString(" ")
		b.WriteString(quote(e.Device))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Kernel != "" {
		b.WriteString(" (kernel: ")
		b.WriteString(e.Kernel)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}
