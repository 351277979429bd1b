//go:build linux

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

// readTable reads a table from --table, a file argument (args[fileArg]),
// or standard input, before the kernel is asked anything. A file that
// cannot be read fails (exit 1, as in dmsetup); a table that cannot be
// parsed is a bad command line.
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
			return nil, fmt.Errorf("%s: table file: %w", c.Command.Name, err)
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

// isTerminal reports whether r (or a writer) is a terminal (not merely a
// character device such as /dev/null): where waiting for a table would only
// hang and where progress is worth showing.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && dmctl.IsTerminal(f)
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
	var errs []error
	for _, n := range names {
		if err := fn(n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deviceAction acts on one device, named.
type deviceAction func(ctl *dmctl.Control, name string) error

// withOneDevice runs a command that acts on one device, named by its first
// argument or selected by -u or -j and -m, and takes between minRest and
// maxRest more arguments (maxRest < 0: any number). prepare gets those and
// does every check that needs no kernel; the device-mapper control node is
// opened only after it succeeded.
func withOneDevice(c *cli.Context, minRest, maxRest int, names string, prepare func(rest []string) (deviceAction, error)) error {
	args := c.Args().Slice()
	sel, selected, err := deviceSelection(c, nil)
	if err != nil {
		return err
	}
	var name string
	rest := args
	if !selected {
		if len(args) == 0 {
			return usagef("%s: want %s, got no arguments", c.Command.FullName(), names)
		}
		name, rest = args[0], args[1:]
		if err := checkNames(c, name); err != nil {
			return err
		}
	}
	if len(rest) < minRest || maxRest >= 0 && len(rest) > maxRest {
		return usagef("%s: want %s, got %d argument(s)", c.Command.FullName(), names, len(args))
	}
	act, err := prepare(rest)
	if err != nil {
		return err
	}
	return withControl(func(ctl *dmctl.Control) error {
		if selected {
			if name, err = sel.name(ctl); err != nil {
				return err
			}
		}
		return act(ctl, name)
	})
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
