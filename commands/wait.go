package commands

import (
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func waitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait until a device's event counter passes EVENT_NR (default: its current value)",
		ArgsUsage: "NAME [EVENT_NR]",
		Description: "Thin pools raise an event when free space falls below the low water mark " +
			"and when their mode changes. wait prints the device's state once the event came.",
		Action: func(c *cli.Context) error {
			if err := minArgs(c, 1, "NAME [EVENT_NR]"); err != nil {
				return err
			}
			if c.NArg() > 2 {
				return usagef("wait: want NAME [EVENT_NR]")
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			name := c.Args().First()
			return withControl(func(ctl *dmctl.Control) error {
				var event uint32
				if c.NArg() == 2 {
					n, err := strconv.ParseUint(c.Args().Get(1), 10, 32)
					if err != nil {
						return usagef("wait: bad event number %q", c.Args().Get(1))
					}
					event = uint32(n)
				} else {
					info, err := ctl.Info(name)
					if err != nil {
						return err
					}
					event = info.EventNr
				}
				info, err := ctl.Wait(name, event)
				if err != nil {
					return err
				}
				rec := format.InfoRecord{DeviceInfo: info}
				rec.ReadAhead, err = dmctl.ReadAhead(info.Dev)
				rec.ReadAheadUnknown = err != nil
				return format.Info(c.App.Writer, kind, []format.InfoRecord{rec})
			})
		},
	}
}
