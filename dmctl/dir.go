package dmctl

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ErrSymlink is returned when a name inside a Dir is a symbolic link: a
// Dir never follows one.
var ErrSymlink = errors.New("is a symbolic link (not followed)")

// ErrNotRegular is returned when a file opened through a Dir is not a
// regular file (a directory, device, FIFO or socket).
var ErrNotRegular = errors.New("is not a regular file")

// checkFileName refuses names that are not one plain path component: a Dir
// resolves exactly one level, so "a/b", "..", "." and "" are errors.
func checkFileName(dir, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') || strings.ContainsRune(name, 0) {
		return &fs.PathError{Op: "open", Path: dir + "/" + name, Err: fmt.Errorf("not a file name in %s: %w", dir, fs.ErrInvalid)}
	}
	return nil
}
