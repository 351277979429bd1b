package dmctl

import "fmt"

// MaxNameLen and MaxUUIDLen are the longest device name and uuid the kernel
// takes (DM_NAME_LEN and DM_UUID_LEN less their NUL).
const (
	MaxNameLen = 127
	MaxUUIDLen = 128
)

// ValidateName applies the kernel's rules for device names (dm-ioctl.c
// check_name and the size of the name field), so that a bad name is refused
// before anything is asked of the kernel.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty device name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("device name %q is longer than %d bytes", name, MaxNameLen)
	case name == "." || name == ".." || name == "control":
		return fmt.Errorf("device name %q is reserved", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return fmt.Errorf("device name %q contains '/'", name)
		}
	}
	return nil
}

// ValidateUUID checks that a uuid fits the kernel's uuid field. The empty
// uuid means none.
func ValidateUUID(uuid string) error {
	if len(uuid) > MaxUUIDLen {
		return fmt.Errorf("uuid %q is longer than %d bytes", uuid, MaxUUIDLen)
	}
	return nil
}
