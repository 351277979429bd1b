//go:build linux

package pool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// maxMountinfoLine bounds one mountinfo line (overlay mounts with many
// layers make long ones).
const maxMountinfoLine = 4 << 20

// MountinfoEntry is one line of /proc/<pid>/mountinfo (see proc(5)):
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Root, MountPoint, FSType and Source are unescaped (the kernel writes
// space, tab, newline and backslash as \040, \011, \012 and \134); the
// option fields are kept as the kernel wrote them.
type MountinfoEntry struct {
	ID           int       // unique mount id
	ParentID     int       // id of the parent mount
	Dev          dmctl.Dev // st_dev of the filesystem
	Root         string    // path of the mounted directory within the filesystem
	MountPoint   string    // relative to the reading process's root
	Options      string    // per-mount options, e.g. "rw,relatime"
	Optional     []string  // tagged fields, e.g. "shared:1", "master:2"; nil when none
	FSType       string    // e.g. "xfs", "fuse.sshfs"
	Source       string    // e.g. "/dev/mapper/docker-8:1-123-base"; may be empty
	SuperOptions string    // per-superblock options
}

// ParseMountinfoLine parses one mountinfo line (without its newline). It
// rejects malformed lines.
func ParseMountinfoLine(line string) (MountinfoEntry, error) {
	// Split on single spaces: an empty source shows as two spaces in a row.
	f := strings.Split(line, " ")
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) < sep+4 {
		return MountinfoEntry{}, fmt.Errorf("parse mountinfo line %q: want 6 fields, optional fields, \"-\" and 3 fields", line)
	}
	var e MountinfoEntry
	var err error
	if e.ID, err = parseMountID("mount id", f[0]); err != nil {
		return MountinfoEntry{}, mountinfoError(line, err)
	}
	if e.ParentID, err = parseMountID("parent id", f[1]); err != nil {
		return MountinfoEntry{}, mountinfoError(line, err)
	}
	if e.Dev, err = dmctl.ParseDev(f[2]); err != nil {
		return MountinfoEntry{}, mountinfoError(line, err)
	}
	fields := []struct {
		dst  *string
		src  string
		what string
	}{
		{&e.Root, f[3], "root"},
		{&e.MountPoint, f[4], "mount point"},
		{&e.FSType, f[sep+1], "filesystem type"},
		{&e.Source, f[sep+2], "source"},
	}
	for _, fl := range fields {
		if *fl.dst, err = unescapeMountinfo(fl.src); err != nil {
			return MountinfoEntry{}, mountinfoError(line, fmt.Errorf("%s: %w", fl.what, err))
		}
	}
	if e.Root == "" || e.MountPoint == "" || e.FSType == "" {
		return MountinfoEntry{}, mountinfoError(line, errors.New("empty root, mount point or filesystem type"))
	}
	e.Options = f[5]
	if sep > 6 {
		e.Optional = f[6:sep]
	}
	if e.Options == "" || slices.Contains(e.Optional, "") {
		return MountinfoEntry{}, mountinfoError(line, errors.New("empty mount options or optional field"))
	}
	e.SuperOptions = strings.Join(f[sep+3:], " ")
	return e, nil
}

func mountinfoError(line string, err error) error {
	return fmt.Errorf("parse mountinfo line %q: %w", line, err)
}

func parseMountID(what, s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q: %w", what, s, errors.Unwrap(err))
	}
	return int(n), nil
}

// unescapeMountinfo undoes the kernel's octal escapes (\ooo). A backslash
// that does not start one is an error: the kernel escapes backslashes too.
func unescapeMountinfo(s string) (string, error) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for ; i >= 0; i = strings.IndexByte(s, '\\') {
		b.WriteString(s[:i])
		if i+4 > len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q", s[i:i+4])
		}
		b.WriteByte(byte(n))
		s = s[i+4:]
	}
	b.WriteString(s)
	return b.String(), nil
}

// ParseMountinfo parses a whole mountinfo file.
func ParseMountinfo(r io.Reader) ([]MountinfoEntry, error) {
	var out []MountinfoEntry
	err := scanMountinfo(r, "", func(e MountinfoEntry) { out = append(out, e) })
	return out, err
}

// scanMountinfo calls fn for each entry of r whose major:minor field is
// dev, or for every entry when dev is empty. Lines of other devices are
// skipped without being parsed.
func scanMountinfo(r io.Reader, dev string, fn func(MountinfoEntry)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxMountinfoLine)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if dev != "" && devField(line) != dev {
			continue
		}
		e, err := ParseMountinfoLine(line)
		if err != nil {
			return err
		}
		fn(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read mountinfo: %w", err)
	}
	return nil
}

// devField returns the third space-separated field of line, or "".
func devField(line string) string {
	_, rest, ok := strings.Cut(line, " ")
	if !ok {
		return ""
	}
	_, rest, ok = strings.Cut(rest, " ")
	if !ok {
		return ""
	}
	dev, _, _ := strings.Cut(rest, " ")
	return dev
}

// MountPoints returns the mount points of dev in the caller's mount
// namespace, in mount order, from /proc/self/mountinfo. A filesystem
// mounted several times (bind mounts included) has several.
func MountPoints(dev dmctl.Dev) ([]string, error) {
	return mountPoints("/proc", dev)
}

func mountPoints(procRoot string, dev dmctl.Dev) ([]string, error) {
	path := filepath.Join(procRoot, "self", "mountinfo")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mount points of %s: %w", dev, err)
	}
	defer f.Close()
	var out []string
	if err := scanMountinfo(f, dev.String(), func(e MountinfoEntry) { out = append(out, e.MountPoint) }); err != nil {
		return nil, fmt.Errorf("mount points of %s: %s: %w", dev, path, err)
	}
	return out, nil
}

// Mounts is the caller's mount table by device: every mount point of each
// device, in mount order. Commands that report on many devices read it
// once (ReadMounts) instead of scanning mountinfo once a device.
type Mounts map[dmctl.Dev][]string

// ReadMounts reads /proc/self/mountinfo once into a Mounts.
func ReadMounts() (Mounts, error) { return readMounts("/proc") }

func readMounts(procRoot string) (Mounts, error) {
	path := filepath.Join(procRoot, "self", "mountinfo")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mount table: %w", err)
	}
	defer f.Close()
	m := Mounts{}
	if err := scanMountinfo(f, "", func(e MountinfoEntry) { m[e.Dev] = append(m[e.Dev], e.MountPoint) }); err != nil {
		return nil, fmt.Errorf("mount table: %s: %w", path, err)
	}
	return m, nil
}

// Of returns dev's mount points (nil when it has none, or m is nil).
func (m Mounts) Of(dev dmctl.Dev) []string { return m[dev] }
