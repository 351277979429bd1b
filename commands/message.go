//go:build linux

package commands

import (
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func messageCommand() *cli.Command {
	return &cli.Command{
		Name:      "message",
		Usage:     "send a message to the target at SECTOR of a device, and print its reply",
		ArgsUsage: "NAME SECTOR MESSAGE...",
		Description: "For a thin pool: create_thin ID, create_snap ID ORIGIN_ID, delete ID, " +
			"set_transaction_id OLD NEW, reserve_metadata_snap, release_metadata_snap.\n\n" +
			"Examples:\n" +
			"  dmctl message POOL 0 create_thin 7\n" +
			"  dmctl message POOL 0 set_transaction_id 3 4",
		Flags: selectFlags(),
		Action: func(c *cli.Context) error {
			return withOneDevice(c, 2, -1, "NAME SECTOR MESSAGE...", func(rest []string) (deviceAction, error) {
				sector, err := strconv.ParseUint(rest[0], 10, 64)
				if err != nil {
					return nil, usagef("message: bad sector %q", rest[0])
				}
				out, err := outputOf(c)
				if err != nil {
					return nil, err
				}
				msg := strings.Join(rest[1:], " ")
				return func(ctl *dmctl.Control, name string) error {
					reply, err := ctl.Message(name, sector, msg)
					if err != nil {
						return err
					}
					return format.Message(out, format.MessageRecord{Reply: format.OptString(reply)})
				}, nil
			})
		},
	}
}
