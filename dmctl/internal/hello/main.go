//go:build linux

// Command hello is the start-up floor of dmctl's benchmarks: the smallest
// static Go program that asks device-mapper one thing (DM_VERSION) and
// prints the answer. make bench compares "dmctl version" against it.
package main

import (
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	fd, err := unix.Open("/dev/mapper/control", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Stderr.WriteString("hello: " + err.Error() + "\n")
		os.Exit(1)
	}
	var h unix.DmIoctl
	h.Version = [3]uint32{4, 0, 0}
	h.Data_size = uint32(unsafe.Sizeof(h))
	h.Data_start = uint32(unsafe.Sizeof(h))
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.DM_VERSION, uintptr(unsafe.Pointer(&h))); e != 0 {
		os.Stderr.WriteString("hello: " + e.Error() + "\n")
		os.Exit(1)
	}
	v := h.Version
	os.Stdout.WriteString("Driver version:    " + strconv.Itoa(int(v[0])) + "." + strconv.Itoa(int(v[1])) + "." + strconv.Itoa(int(v[2])) + "\n")
}
