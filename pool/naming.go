//go:build linux

package pool

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// DefaultNameWord is the first word of every device-mapper name a pool
// makes, as in Docker's "docker-MAJ:MIN-INO-pool".
const DefaultNameWord = "docker"

// MaxNameLen is the longest device-mapper device name the kernel accepts
// (DM_NAME_LEN less the terminating NUL).
const MaxNameLen = 127

// BaseID is the id of the base device, the thin device every snapshot
// descends from. Its JSON file is metadata/base, as Docker named it.
const BaseID = "base"

// migratedSuffix ends the names of files Docker's driver left after
// migrating them; they are not device files.
const migratedSuffix = ".migrated"

// poolSuffix is the last word of the pool's name.
const poolSuffix = "pool"

// isReservedID reports whether id would collide with the pool's name or
// with a file dmctl keeps in <root>/metadata.
func isReservedID(id string) bool {
	switch id {
	case poolSuffix, deviceSetFileName, transactionFileName, poolConfigFileName:
		return true
	}
	return false
}

// dockerMajor and dockerMinor split a device number the way Docker's
// driver did (the old glibc encoding). They differ from the kernel's
// encoding only for majors above 4095, and they must stay as they are:
// they decide the names of pools Docker made.
func dockerMajor(dev uint64) uint64 { return (dev >> 8) & 0xfff }
func dockerMinor(dev uint64) uint64 { return (dev & 0xff) | ((dev >> 12) & 0xfff00) }

// DevicePrefix returns the prefix of a pool's device names, "<word>-MAJ:MIN-INO",
// from the device number and inode of the pool's root directory.
func DevicePrefix(word string, dev, ino uint64) string {
	return word + "-" + strconv.FormatUint(dockerMajor(dev), 10) + ":" +
		strconv.FormatUint(dockerMinor(dev), 10) + "-" + strconv.FormatUint(ino, 10)
}

// RootPrefix returns the device-name prefix of the pool rooted at root: the
// word (DefaultNameWord unless overridden) followed by the device number and
// inode of the root directory, as Docker computed it.
func RootPrefix(root, word string) (string, error) {
	if err := ValidateNameWord(word); err != nil {
		return "", err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("stat pool root: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("stat pool root %s: no device and inode numbers on this system", root)
	}
	return DevicePrefix(word, uint64(st.Dev), uint64(st.Ino)), nil
}

// ValidateNameWord checks the word that starts every device name (the
// --prefix option).
func ValidateNameWord(word string) error {
	switch {
	case word == "":
		return fmt.Errorf("name prefix is empty")
	case len(word) > 64:
		return fmt.Errorf("name prefix %q is longer than 64 bytes", word)
	}
	for _, r := range word {
		if r == '/' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("name prefix %q: contains %q", word, r)
		}
	}
	return nil
}

// Names are the device-mapper names of one pool and its thin devices.
type Names struct {
	// Prefix starts every thin device's name: "docker-MAJ:MIN-INO".
	Prefix string
	// Pool is the pool's name: "<Prefix>-pool", or the name of an
	// adopted pool.
	Pool string
}

// NewNames returns the names of a pool whose devices start with prefix.
// adopted is the name of an existing pool the devices live in, or "" for
// a pool of its own ("<prefix>-pool").
func NewNames(prefix, adopted string) Names {
	n := Names{Prefix: prefix, Pool: prefix + "-" + poolSuffix}
	if adopted != "" {
		n.Pool = adopted
	}
	return n
}

// Device returns the device-mapper name of the thin device with that id.
func (n Names) Device(id string) string { return n.Prefix + "-" + id }

// ValidateID checks that id can name a thin device: not empty, no '/',
// whitespace or control characters, not starting with '.', not a name
// dmctl uses for itself, and short enough that "<prefix>-<id>" fits in a
// device-mapper name.
func (n Names) ValidateID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("device id is empty")
	case strings.HasPrefix(id, "."):
		return fmt.Errorf("device id %q: must not start with '.'", id)
	case isReservedID(id):
		return fmt.Errorf("device id %q: reserved name", id)
	case strings.HasSuffix(id, migratedSuffix):
		// Docker renamed device files it had migrated so; such files are
		// not device files, and a device so named would be invisible.
		return fmt.Errorf("device id %q: must not end in %q (Docker's name for migrated files)", id, migratedSuffix)
	}
	for _, r := range id {
		if r == '/' || r <= ' ' || r == 0x7f {
			return fmt.Errorf("device id %q: contains %q", id, r)
		}
	}
	if l := len(n.Device(id)); l > MaxNameLen {
		return fmt.Errorf("device id %q: device name %q is %d bytes, longer than %d",
			id, n.Device(id), l, MaxNameLen)
	}
	return nil
}
