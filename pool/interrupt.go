//go:build linux

package pool

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// SIGINT and SIGTERM never leave a device suspended.
//
// dmctl suspends a device only for as long as an operation needs it
// (trim, extend, create_snap), and notes it in the lock file so that the
// next command resumes it if dmctl is killed with SIGKILL. Milder signals
// are caught instead: outside a suspension dmctl exits at once (everything
// it does is safe to interrupt, see txn.go), during one the exit waits for
// the resume, and long loops run while suspended (trim's) stop early when
// Interrupted says so.

// errInterrupted stops a long operation when a signal asks dmctl to end.
var errInterrupted = errors.New("interrupted")

var interrupts struct {
	sync.Mutex
	held    int       // suspensions in progress
	pending os.Signal // a signal that arrived while held > 0
	exit    func(code int)
	stderr  func(msg string)
	handler func(os.Signal) // instead of exiting (see SetInterruptHandler)
}

// SetInterruptHandler makes SIGINT and SIGTERM call fn instead of ending
// the process, still only once no device is suspended: a long-running
// command (pool monitor) stops cleanly in its own time. It returns a
// function that restores the exit.
func SetInterruptHandler(fn func(os.Signal)) (restore func()) {
	interrupts.Lock()
	prev := interrupts.handler
	interrupts.handler = fn
	interrupts.Unlock()
	return func() {
		interrupts.Lock()
		interrupts.handler = prev
		interrupts.Unlock()
	}
}

// CatchInterrupts makes SIGINT and SIGTERM wait for the devices dmctl has
// suspended to be resumed before the process exits (with 128 + the
// signal's number). It returns a function that restores the default.
func CatchInterrupts() (stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				interruptWith(sig)
			case <-quit:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
	}
}

// interruptWith handles sig: exit now, or once nothing is suspended.
func interruptWith(sig os.Signal) {
	interrupts.Lock()
	defer interrupts.Unlock()
	if interrupts.held == 0 {
		exitOnSignal(sig)
		return
	}
	if interrupts.pending == nil {
		interrupts.pending = sig
	}
}

// holdInterrupts defers SIGINT and SIGTERM until the returned function is
// called (once the suspended device is resumed).
func holdInterrupts() (release func()) {
	interrupts.Lock()
	interrupts.held++
	interrupts.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			interrupts.Lock()
			defer interrupts.Unlock()
			interrupts.held--
			if interrupts.held == 0 && interrupts.pending != nil {
				exitOnSignal(interrupts.pending)
			}
		})
	}
}

// Interrupted reports whether SIGINT or SIGTERM arrived and waits for an
// operation to end; long operations stop early when it does.
func Interrupted() bool {
	interrupts.Lock()
	defer interrupts.Unlock()
	return interrupts.pending != nil
}

// exitOnSignal ends the process as the signal would have, with a line
// saying so. The caller holds interrupts' lock.
func exitOnSignal(sig os.Signal) {
	if h := interrupts.handler; h != nil {
		interrupts.pending = nil
		go h(sig)
		return
	}
	code := 130
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	warn(fmt.Sprintf("dmctl: interrupted (%v)", sig))
	if interrupts.exit != nil {
		interrupts.exit(code)
		return
	}
	os.Exit(code)
}

func warn(msg string) {
	if interrupts.stderr != nil {
		interrupts.stderr(msg)
		return
	}
	fmt.Fprintln(os.Stderr, msg)
}
