package dmctl

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// EventWatcher waits for device-mapper events without a thread per device:
// DM_DEV_ARM_POLL records the kernel's global event counter on a control
// descriptor of the watcher's own, and poll(2) on that descriptor returns
// as soon as any device raises an event after that (a thin pool crossing
// its low water mark, running out of space or changing mode, a device
// created or removed). A pipe polled alongside lets another goroutine (a
// signal handler) end a wait, and a timeout gives a safety-net poll; one
// loop waits for all three.
//
// The kernel needs ioctl interface 4.36 (Linux 4.13) for DM_DEV_ARM_POLL;
// on an older kernel Wait only times out or wakes (ErrArmPollUnsupported
// from Arm says so).
type EventWatcher struct {
	c            *Control
	wakeR, wakeW int
}

// ErrArmPollUnsupported means the kernel has no DM_DEV_ARM_POLL.
var ErrArmPollUnsupported = errors.New("device-mapper event polling needs ioctl interface 4.36 or later")

// WaitResult says why EventWatcher.Wait returned.
type WaitResult int

// The reasons Wait returns.
const (
	WaitEvent   WaitResult = iota // a device raised an event since Arm
	WaitTimeout                   // the timeout passed
	WaitWoken                     // Wake was called
)

// String names the result.
func (r WaitResult) String() string {
	switch r {
	case WaitEvent:
		return "event"
	case WaitTimeout:
		return "timeout"
	case WaitWoken:
		return "woken"
	}
	return fmt.Sprintf("WaitResult(%d)", int(r))
}

// NewEventWatcher opens a control descriptor of its own (the armed event
// counter belongs to the descriptor) and the wake-up pipe.
func NewEventWatcher() (*EventWatcher, error) {
	c, err := Open()
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		c.Close()
		return nil, &Error{Op: "event watcher pipe", Err: err}
	}
	return &EventWatcher{c: c, wakeR: p[0], wakeW: p[1]}, nil
}

// Arm makes the next Wait return at once if any device raises an event
// from now on (DM_DEV_ARM_POLL). Arm, then read what events may change,
// then Wait: an event between the read and the Wait is not lost.
func (w *EventWatcher) Arm() error {
	if !w.c.version.AtLeast(4, 36, 0) {
		return ErrArmPollUnsupported
	}
	_, err := w.c.run(&request{cmd: unix.DM_DEV_ARM_POLL, op: "arm poll"}, nil)
	return err
}

// Wait blocks until a device raises an event after the last Arm, Wake is
// called, or timeout passes (a negative timeout waits for ever; 0 only
// looks).
func (w *EventWatcher) Wait(timeout time.Duration) (WaitResult, error) {
	deadline := time.Now().Add(timeout)
	for {
		ms := -1
		if timeout >= 0 {
			ms = max(int((time.Until(deadline)+time.Millisecond-1)/time.Millisecond), 0)
		}
		fds := []unix.PollFd{{Fd: int32(w.c.fd), Events: unix.POLLIN}, {Fd: int32(w.wakeR), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, &Error{Op: "poll", Device: ControlPath, Err: err}
		}
		switch {
		case n == 0:
			return WaitTimeout, nil
		case fds[1].Revents != 0:
			w.drain()
			return WaitWoken, nil
		case fds[0].Revents&unix.POLLIN != 0:
			return WaitEvent, nil
		case fds[0].Revents != 0:
			return 0, &Error{Op: "poll", Device: ControlPath, Err: fmt.Errorf("revents %#x", fds[0].Revents)}
		}
	}
}

// Wake ends a Wait in progress, or the next one, from any goroutine.
func (w *EventWatcher) Wake() {
	unix.Write(w.wakeW, []byte{1}) // a full pipe already wakes
}

func (w *EventWatcher) drain() {
	var b [64]byte
	for {
		if n, err := unix.Read(w.wakeR, b[:]); n <= 0 || err != nil {
			return
		}
	}
}

// Close closes the watcher's descriptors.
func (w *EventWatcher) Close() error {
	unix.Close(w.wakeR)
	unix.Close(w.wakeW)
	return w.c.Close()
}
