//go:build linux

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
			"and when their mode changes. wait prints the device's state once the event came.\n\n" +
			"Examples:\n" +
			"  dmctl wait POOL\n" +
			"  dmctl wait POOL 3 --output json",
		Flags: withFlags(tableFlags(), selectFlags()),
		Action: func(c *cli.Context) error {
			return withOneDevice(c, 0, 1, "NAME [EVENT_NR]", func(rest []string) (deviceAction, error) {
				out, err := tableOutput(c, format.InfoTable)
				if err != nil {
					return nil, err
				}
				known := len(rest) == 1
				var event uint32
				if known {
					n, err := strconv.ParseUint(rest[0], 10, 32)
					if err != nil {
						return nil, usagef("wait: bad event number %q", rest[0])
					}
					event = uint32(n)
				}
				return func(ctl *dmctl.Control, name string) error {
					if !known {
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
					return format.Info(out, []format.InfoRecord{infoRecord(info)})
				}, nil
			})
		},
	}
}
