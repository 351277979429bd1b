package commands

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

// withControl opens the device-mapper control node for the duration of fn.
func withControl(fn func(*dmctl.Control) error) error {
	ctl, err := dmctl.Open()
	if err != nil {
		return err
	}
	defer ctl.Close()
	return fn(ctl)
}

// deviceNames returns the devices named in args, or all the
// kernel's devices (in the kernel's order) when none is named; all reports
// which.
func deviceNames(args []string, ctl *dmctl.Control) (names []string, all bool, err error) {
	if len(args) > 0 {
		return args, false, nil
	}
	list, err := ctl.List(dmctl.ListOptions{})
	if err != nil {
		return nil, true, err
	}
	for _, e := range list {
		names = append(names, e.Name)
	}
	return names, true, nil
}

// readTable reads a table from --table, a file argument, or standard input.
func readTable(c *cli.Context, args []string, fileArg int) ([]dmctl.Target, error) {
	var r io.Reader
	switch {
	case c.IsSet("table"):
		if len(args) > fileArg {
			return nil, usagef("%s: give the table either with --table or as a file, not both", c.Command.Name)
		}
		// dmsetup's --table takes one line; several may be separated by
		// newlines or by ';'.
		r = strings.NewReader(strings.ReplaceAll(c.String("table"), ";", "\n"))
	case len(args) > fileArg:
		f, err := os.Open(args[fileArg])
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	default:
		if isTerminal(c.App.Reader) {
			return nil, usagef("%s: no table: give --table, a file, or the table on standard input", c.Command.Name)
		}
		r = bufio.NewReader(c.App.Reader)
	}
	targets, err := dmctl.ParseTable(r)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return targets, nil
}

// isTerminal reports whether r (or a writer) is a character device: a
// terminal, where waiting for a table would only hang and where progress
// is worth showing.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// renderGathered prints what was gathered of the named devices even when
// some of them failed, as dmsetup does, then returns those failures. With
// nothing gathered and a failure, it prints nothing.
func renderGathered(gathered int, gatherErr error, render func() error) error {
	if gathered > 0 || gatherErr == nil {
		if err := render(); err != nil {
			return err
		}
	}
	return gatherErr
}

// forEach runs fn on each name and joins the failures, so that one bad
// name does not stop the others (as dmsetup does).
func forEach(names []string, fn func(string) error) error {
	var failed []string
	var first error
	for _, n := range names {
		if err := fn(n); err != nil {
			if first == nil {
				first = err
			}
			failed = append(failed, err.Error())
		}
	}
	if len(failed) == 1 {
		return first
	}
	if len(failed) > 1 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}

// skipVanished makes fn ignore a device that went away between the
// listing of all devices and the reading of its own (another program
// removed it meanwhile): a listing shows what is there. A device named on
// the command line (all false) that does not exist is still an error.
func skipVanished(all bool, fn func(string) error) func(string) error {
	if !all {
		return fn
	}
	return func(name string) error {
		if err := fn(name); err != nil && !errors.Is(err, dmctl.ErrNoDevice) && !errors.Is(err, syscall.ENXIO) {
			return err
		}
		return nil
	}
}
