package dmctl

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// kmsgMark opens /dev/kmsg positioned at its end, marking the point after
// which the kernel's messages concern the request about to be sent. It
// returns -1 when the log cannot be read.
func kmsgMark() int {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil {
		unix.Close(fd)
		return -1
	}
	return fd
}

// kernelReason returns what device-mapper logged since the mark: the reason
// behind an EINVAL table load, for example, is only told there.
func kernelReason(fd int) string {
	var lines []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EPIPE) {
			continue // a record was overwritten while reading: go on
		}
		if err != nil || n <= 0 {
			break
		}
		_, msg, ok := parseKmsgRecord(string(buf[:n]))
		if !ok {
			continue
		}
		if m, ok := strings.CutPrefix(msg, "device-mapper: "); ok {
			lines = append(lines, m)
		}
	}
	const maxLines = 3
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "; ")
}

// parseKmsgRecord parses one /dev/kmsg record:
// "prio,seq,usec,flags[,...];message\n[ KEY=VALUE\n...]".
func parseKmsgRecord(rec string) (time.Duration, string, bool) {
	head, rest, ok := strings.Cut(rec, ";")
	if !ok {
		return 0, "", false
	}
	fields := strings.Split(head, ",")
	if len(fields) < 3 {
		return 0, "", false
	}
	usec, err := strconv.ParseUint(fields[2], 10, 63)
	if err != nil {
		return 0, "", false
	}
	msg, _, _ := strings.Cut(rest, "\n")
	return time.Duration(usec) * time.Microsecond, msg, true
}
