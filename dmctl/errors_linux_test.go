package dmctl

import (
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "list devices", Err: unix.ENOMEM}, "list devices: cannot allocate memory"},
		{&Error{Op: "remove", Device: "docker-8:1-1234-pool", Err: unix.EBUSY}, "remove docker-8:1-1234-pool: device or resource busy"},
		{&Error{Op: "table load", Device: "vol0", Err: unix.EINVAL, Kernel: "table: 253:0: linear: Invalid argument count"},
			"table load vol0: invalid argument (kernel: table: 253:0: linear: Invalid argument count)"},
		{&Error{Op: "mount", Device: "/dev/dm-0 on /mnt", Err: unix.EINVAL}, `mount "/dev/dm-0 on /mnt": invalid argument`},
		{&Error{Op: "info", Device: "tab\tname", Err: unix.ENXIO}, `info "tab` + "\t" + `name": no such device or address`},
		{&Error{Op: "info", Device: `q"uote`, Err: unix.ENXIO}, `info "q\"uote": no such device or address`},
		{&Error{Op: `message "create_thin 1"`, Device: "pool", Err: unix.EEXIST}, `message "create_thin 1" pool: file exists`},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("(%#v).Error() = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestErrorIdentity(t *testing.T) {
	busy := error(&Error{Op: "remove", Device: "vol0", Err: unix.EBUSY})
	if !errors.Is(busy, unix.EBUSY) {
		t.Errorf("errors.Is(%v, unix.EBUSY) = false, want true", busy)
	}
	if !errors.Is(busy, syscall.EBUSY) {
		t.Errorf("errors.Is(%v, syscall.EBUSY) = false, want true", busy)
	}
	if busy == error(unix.EBUSY) {
		t.Errorf("%v == unix.EBUSY, want a wrapped error", busy)
	}
	if errors.Is(busy, unix.ENXIO) || errors.Is(busy, ErrNoDevice) {
		t.Errorf("errors.Is(%v, ENXIO or ErrNoDevice) = true, want false", busy)
	}
	var e *Error
	if !errors.As(busy, &e) || e.Op != "remove" || e.Device != "vol0" {
		t.Errorf("errors.As(%v, *Error) = %+v", busy, e)
	}

	// wrapNoDevice: ENXIO also matches ErrNoDevice, and keeps matching ENXIO.
	missing := wrapNoDevice(&Error{Op: "info", Device: "gone", Err: unix.ENXIO})
	if !errors.Is(missing, ErrNoDevice) || !errors.Is(missing, unix.ENXIO) || !errors.Is(missing, syscall.ENXIO) {
		t.Errorf("wrapNoDevice(ENXIO) = %v: want it to match ErrNoDevice and ENXIO", missing)
	}
	if got, want := missing.Error(), "info gone: no such device (no such device or address)"; got != want {
		t.Errorf("wrapNoDevice(ENXIO).Error() = %q, want %q", got, want)
	}
	if other := wrapNoDevice(busy); errors.Is(other, ErrNoDevice) {
		t.Errorf("wrapNoDevice(EBUSY) = %v matches ErrNoDevice", other)
	}
	if wrapNoDevice(nil) != nil {
		t.Errorf("wrapNoDevice(nil) != nil")
	}

	// A refused request keeps EINVAL and its cause.
	c := &Control{fd: -1}
	_, err := c.run(&request{cmd: unix.DM_DEV_STATUS, op: "info", name: string(make([]byte, 200))}, nil)
	if !errors.Is(err, unix.EINVAL) || !errors.As(err, &e) || e.Op != "info" {
		t.Errorf("run(200-byte name) = %v, want an *Error matching EINVAL", err)
	}
}

func TestIoctlErrorPermission(t *testing.T) {
	c := &Control{fd: -1}
	for _, errno := range []unix.Errno{unix.EACCES, unix.EPERM} {
		err := c.ioctlError("create", "vol0", errno, 0)
		if !errors.Is(err, ErrPermission) || !errors.Is(err, errno) {
			t.Errorf("ioctlError(%v) = %v, want it to match ErrPermission and %v", errno, err, errno)
		}
	}
}

// TestMethodsRefuseBadInput checks the checks made before any ioctl: they
// need no kernel (the Control's descriptor is invalid).
func TestMethodsRefuseBadInput(t *testing.T) {
	c := &Control{fd: -1}
	long := string(make([]byte, 128))
	tests := []struct {
		name string
		err  error
	}{
		{"Create(empty name)", second(c.Create("", "", false))},
		{"Create(128-byte name)", second(c.Create(long, "", false))},
		{"Create(control)", second(c.Create("control", "", false))},
		{"Create(..)", second(c.Create("..", "", false))},
		{"Create(a/b)", second(c.Create("a/b", "", false))},
		{"Rename(to a/b)", c.Rename("vol0", "a/b")},
		{"Rename(to empty)", c.Rename("vol0", "")},
		{"SetUUID(empty)", c.SetUUID("vol0", "")},
		{"SetUUID(129 bytes)", c.SetUUID("vol0", string(make([]byte, 129)))},
		{"Message(empty)", second(c.Message("vol0", 0, ""))},
		{"Load(no type)", second(c.Load("vol0", []Target{{0, 8, "", ""}}, false))},
		{"CreateDevice(zero length)", second(c.CreateDevice("vol0", "", []Target{{0, 0, "zero", ""}}, false))},
	}
	for _, tc := range tests {
		var e *Error
		if !errors.Is(tc.err, unix.EINVAL) || !errors.As(tc.err, &e) {
			t.Errorf("%s = %v, want an *Error matching EINVAL", tc.name, tc.err)
		}
	}
}

func second[T any](_ T, err error) error { return err }
