//go:build linux

// Package commands is dmctl's command line: one file per command, each a
// thin layer that parses arguments, calls the dmctl (kernel) and pool
// (domain) packages and renders through format to the app's writers.
package commands

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
)

// Exit codes, documented in the man page. check has one more,
// ExitCheckNotRun, so that a script can tell "problems found" (1) from
// "could not look" (3).
const (
	ExitOK          = 0 // success
	ExitFailure     = 1 // the operation failed; check: the pool is inconsistent
	ExitUsage       = 2 // bad command line
	ExitCheckNotRun = 3 // check could not run to the end
)

// NewApp builds the dmctl command line. Output goes to out, errors to
// errOut; nothing here touches os.Stdout.
func NewApp(in io.Reader, out, errOut io.Writer) *cli.App {
	app := &cli.App{
		Name:    "dmctl",
		Usage:   "drive device-mapper and run Docker-style thin pools, without libdevmapper",
		Version: dmctlVersion(),
		Description: "dmctl talks to the kernel's device-mapper through /dev/mapper/control directly. " +
			"It speaks dmsetup's verbs (with --output dmsetup, byte for byte) and builds, inspects and " +
			"repairs thin-provisioning pools laid out as Docker's devicemapper storage driver laid them out.",
		Reader:         in,
		Writer:         out,
		ErrWriter:      errOut,
		Flags:          globalFlags(),
		Before:         checkRoot,
		OnUsageError:   onUsageError,
		ExitErrHandler: func(*cli.Context, error) {}, // Main reports errors
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q (see dmctl --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			versionCommand(),
			targetsCommand(),
			lsCommand(),
			infoCommand(),
			statusCommand(),
			tableCommand(),
			depsCommand(),
			createCommand(),
			loadCommand(),
			resumeCommand(),
			suspendCommand(),
			removeCommand(),
			removeAllCommand(),
			renameCommand(),
			messageCommand(),
			clearCommand(),
			waitCommand(),
			mknodesCommand(),
			trimCommand(),
			checkCommand(),
		},
	}
	for _, c := range app.Commands {
		// The pool commands open the pool, which undoes what a killed
		// dmctl left stalled; dmsetup's verbs do it first.
		if c.Name != "trim" && c.Name != "check" {
			c.Before = recoverStalled
		}
	}
	app.Commands = append(app.Commands, poolCommands()...)
	for _, c := range app.Commands {
		setUsageErrors(c)
	}
	return app
}

// checkRoot refuses an empty --root (or DMCTL_ROOT set to nothing), which
// would otherwise be the current directory, and makes a relative one
// absolute once, so that every command and every path dmctl prints or
// records names the same directory wherever the next command runs.
func checkRoot(c *cli.Context) error {
	root := c.String(flagRoot)
	if root == "" {
		return usagef("--root is empty (an unset variable, or DMCTL_ROOT set to nothing?)")
	}
	if filepath.IsAbs(root) {
		return nil
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("--root %s: %w", root, err)
	}
	return c.Set(flagRoot, abs)
}

func setUsageErrors(c *cli.Command) {
	c.OnUsageError = onUsageError
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}

// Main runs the app on args and returns the process exit code: 0, 1 or
// 2 (3 for a check that could not run), never another number. Errors are
// one line on errOut, prefixed "dmctl: "; under --output dmsetup, errors
// dmsetup has words for are printed in them (see dmsetupError).
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	app := NewApp(in, out, errOut)
	if n := len(args); n > 1 && args[n-1] == completionFlag {
		if err := complete(app, args[1:n-1], out); err != nil {
			return ExitFailure
		}
		return ExitOK
	}
	argv, err := normalizeArgs(app, args)
	if err == nil {
		if globalFlag(argv, flagQuiet) == "true" {
			// --quiet: nothing but the error line below.
			app.Writer, app.ErrWriter = io.Discard, io.Discard
		}
		err = app.Run(argv)
	}
	if err == nil || errors.Is(err, errColumnsListed) {
		return ExitOK
	}
	if k, _ := format.ParseKind(outputFromArgs(argv)); k == format.Dmsetup {
		if text, ok := dmsetupError(err); ok {
			fmt.Fprint(errOut, text)
			return exitCode(err)
		}
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(errOut, "dmctl: %s\n", msg)
	return exitCode(err)
}

// exitCode maps an error to dmctl's exit codes. An exit code urfave/cli
// chose itself (3 for an unknown help topic) is a usage error.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	var ec exitError
	if errors.As(err, &ec) {
		return ec.code
	}
	var lib cli.ExitCoder
	if errors.As(err, &lib) && lib.ExitCode() != 0 {
		return ExitUsage
	}
	return ExitFailure
}

// exitError is a failure with an exit code of its own.
type exitError struct {
	err  error
	code int
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// outputFromArgs returns the --output of a normalised command line, else
// $DMCTL_OUTPUT.
func outputFromArgs(argv []string) string {
	if v := globalFlag(argv, flagOutput); v != "" {
		return v
	}
	return os.Getenv("DMCTL_OUTPUT")
}

// globalFlag returns the value of a global flag on a normalised command
// line (the global flags come first, as --name=value), or "".
func globalFlag(argv []string, name string) string {
	var value string
	for _, a := range argv[min(1, len(argv)):] {
		if !strings.HasPrefix(a, "--") || a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			value = v
		}
	}
	return value
}

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError{err.Error()}
}

// exactArgs returns the n positional arguments, taking the command's
// flags wherever they stand among them, as dmsetup does.
func exactArgs(c *cli.Context, n int, names string) ([]string, error) {
	return positional(c, n, n, names)
}

// minArgs returns the positional arguments, at least n and at most max
// (max < 0: any number), taking the command's flags wherever they stand.
func minArgs(c *cli.Context, n, max int, names string) ([]string, error) {
	return positional(c, n, max, names)
}
