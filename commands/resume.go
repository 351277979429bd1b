//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func resumeCommand() *cli.Command {
	return &cli.Command{
		Name:      "resume",
		Usage:     "resume devices, making a loaded inactive table live",
		ArgsUsage: "NAME...",
		Description: "Examples:\n" +
			"  dmctl resume lin\n" +
			"  dmctl resume -u LVM-0123",
		Flags: selectFlags(),
		Action: func(c *cli.Context) error {
			return forDevices(c, func(ctl *dmctl.Control, name string) error {
				_, err := ctl.Resume(name)
				return err
			})
		},
	}
}

// forDevices runs act on each device named by the arguments (at least
// one), or on the one -u or -j and -m select. Names are checked before the
// kernel is opened; one failure does not stop the others.
func forDevices(c *cli.Context, act deviceAction) error {
	args := c.Args().Slice()
	if _, selected, err := deviceSelection(c, args); err != nil {
		return err
	} else if selected {
		return withOneDevice(c, 0, 0, "NAME...", func([]string) (deviceAction, error) { return act, nil })
	}
	if _, err := minArgs(c, 1, -1, "NAME..."); err != nil {
		return err
	}
	if err := checkNames(c, args...); err != nil {
		return err
	}
	return withControl(func(ctl *dmctl.Control) error {
		return forEach(args, func(name string) error { return act(ctl, name) })
	})
}
