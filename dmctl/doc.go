// Package dmctl is dmctl's kernel layer: it drives Linux device-mapper through
// ioctls on /dev/mapper/control, and attaches loop devices and manages block
// devices, without libdevmapper, cgo or external programs.
//
// It is the only package of dmctl that imports golang.org/x/sys/unix or
// unsafe. Everything above it (pool, format, commands) sees Go types only.
//
// # The ioctl interface
//
// dmctl speaks device-mapper ioctl interface version 4 (it asks for 4.0.0 and
// reads the kernel's own version back). Every request is a struct dm_ioctl
// header (312 bytes) followed by a payload; see the kernel's
// include/uapi/linux/dm-ioctl.h. A [Control] owns one control file descriptor
// and every operation is a typed method on it.
//
// Each request is sent in a buffer sized for it: the header alone for the
// requests the kernel answers in the header, the header and the payload for
// a table load or a rename, 4 KiB for a table, status, deps or message
// reply. Replies that carry data follow the buffer protocol: when the kernel
// sets DM_BUFFER_FULL_FLAG the request is repeated with a larger buffer, up
// to a cap. Only the device list carries the size it needed over to the next
// list: the kernel allocates and copies the whole buffer of every request, so
// sizing all later requests for the list (as libdevmapper does) makes a read
// over N devices cost N times the list's size. Buffers of the common size
// are reused, cleared, from one request to the next. Each reply is decoded by
// a bounds-checked pure function that never panics, whatever the bytes (see
// decode_linux.go and its fuzz targets).
//
// # Errors
//
// Every failure is an [*Error] naming the operation and the device; it wraps
// the errno, so errors.Is(err, unix.EBUSY) works, and it carries the reason
// the kernel logged for the operation when there was one (read from
// /dev/kmsg). [ErrUnavailable] and [ErrPermission] report a kernel without
// device-mapper and a caller without CAP_SYS_ADMIN.
//
// See also the kernel's Documentation/admin-guide/device-mapper/ and
// thin-provisioning.rst for the thin-pool and thin targets.
package dmctl
