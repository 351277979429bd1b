package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func messageCommand() *cli.Command {
	return &cli.Command{
		Name:      "message",
		Usage:     "send a message to the target at SECTOR of a device, and print its reply",
		ArgsUsage: "NAME SECTOR MESSAGE...",
		Description: "For a thin pool: create_thin ID, create_snap ID ORIGIN_ID, delete ID, " +
			"set_transaction_id OLD NEW, reserve_metadata_snap, release_metadata_snap.",
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 3, -1, "NAME SECTOR MESSAGE...")
			if err != nil {
				return err
			}
			sector, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return usagef("message: bad sector %q", args[1])
			}
			msg := strings.Join(args[2:], " ")
			return withControl(func(ctl *dmctl.Control) error {
				out, err := ctl.Message(args[0], sector, msg)
				if err != nil {
					return err
				}
				if out != "" {
					_, err = fmt.Fprintln(c.App.Writer, out)
				}
				return err
			})
		},
	}
}
