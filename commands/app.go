// Package commands is dmctl's command line: one file per command, each a
// thin layer that parses arguments, calls the dmctl (kernel) and pool
// (domain) packages and renders through format to the app's writers.
package commands

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set at build time (-ldflags -X).
var version = "dev"

// Exit codes, documented in the man page.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the operation failed
	ExitUsage   = 2 // bad command line
)

// NewApp builds the dmctl command line. Output goes to out, errors to
// errOut; nothing here touches os.Stdout.
func NewApp(in io.Reader, out, errOut io.Writer) *cli.App {
	app := &cli.App{
		Name:    "dmctl",
		Usage:   "drive device-mapper and run Docker-style thin pools, without libdevmapper",
		Version: version,
		Description: "dmctl talks to the kernel's device-mapper through /dev/mapper/control directly. " +
			"It speaks dmsetup's verbs (with --output dmsetup, byte for byte) and builds, inspects and " +
			"repairs thin-provisioning pools laid out as Docker's devicemapper storage driver laid them out.",
		Reader:               in,
		Writer:               out,
		ErrWriter:            errOut,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		Flags:                globalFlags(),
		OnUsageError:         onUsageError,
		ExitErrHandler:       func(*cli.Context, error) {}, // Main reports errors
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
	app.Commands = append(app.Commands, poolCommands()...)
	for _, c := range app.Commands {
		setUsageErrors(c)
	}
	return app
}

func setUsageErrors(c *cli.Command) {
	c.OnUsageError = onUsageError
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}

// Main runs the app on args and returns the process exit code. Errors are
// one line on errOut, prefixed "dmctl: ".
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	app := NewApp(in, out, errOut)
	args, err := normalizeArgs(app, args)
	if err == nil {
		err = app.Run(args)
	}
	if err == nil {
		return ExitOK
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(errOut, "dmctl: %s\n", msg)
	var u usageError
	if errors.As(err, &u) {
		return ExitUsage
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return ExitFailure
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
