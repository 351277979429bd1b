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
			args, err := minArgs(c, 1, 2, "NAME [EVENT_NR]")
			if err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			name := args[0]
			return withControl(func(ctl *dmctl.Control) error {
				var event uint32
				if len(args) == 2 {
					n, err := strconv.ParseUint(args[1], 10, 32)
					if err != nil {
						return usagef("wait: bad event number %q", args[1])
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
				return format.Info(c.App.Writer, kind, []format.InfoRecord{infoRecord(info)})
			})
		},
	}
}
