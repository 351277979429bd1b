//go:build !linux

package dmctl

// Control is device-mapper's control node; device-mapper exists only on
// Linux, so elsewhere Open always fails.
type Control struct{}

// Open returns ErrUnavailable: device-mapper exists only on Linux.
func Open() (*Control, error) { return nil, ErrUnavailable }

// Close does nothing.
func (c *Control) Close() error { return nil }
