//go:build !linux

package thinmeta

import "os"

// openDirect opens path normally: O_DIRECT is Linux-only.
func openDirect(path string) (*os.File, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f, nil
}
