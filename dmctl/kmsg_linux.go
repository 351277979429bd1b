package dmctl

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// kernelReason returns what device-mapper logged to the kernel log since a
// point in time (CLOCK_MONOTONIC, the clock of /dev/kmsg's timestamps): the
// reason behind an EINVAL table load, for example, is only told there. It is
// called after a failure only, so successful operations never pay for it.
func kernelReason(since time.Duration) string {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
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
		ts, msg, ok := parseKmsgRecord(string(buf[:n]))
		if !ok || ts+time.Millisecond < since {
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
