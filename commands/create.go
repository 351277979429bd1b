//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func createCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create a device, load its table and resume it",
		ArgsUsage: "NAME [TABLE_FILE]",
		Description: "The table comes from --table, from TABLE_FILE, or from standard input, one target a line " +
			"(start length type params). With --notable the device is created without a table. " +
			"A failed create leaves no device behind.\n\n" +
			"Examples:\n" +
			"  dmctl create lin --table '0 2048 linear 7:0 0'\n" +
			"  dmctl create zero1 -u ZERO-1 -r --table '0 8 zero'\n" +
			"  dmctl create striped table.txt",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "table", Usage: "the `TABLE`, targets separated by newlines or ';'"},
			&cli.StringFlag{Name: flagUUID, Aliases: []string{"u"}, Usage: "the device's `UUID`"},
			&cli.BoolFlag{Name: "readonly", Aliases: []string{"r"}, Usage: "create the device read-only"},
			&cli.BoolFlag{Name: "notable", Aliases: []string{"n"}, Usage: "create the device without a table"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 1, 2, "NAME [TABLE_FILE]")
			if err != nil {
				return err
			}
			name := args[0]
			if err := checkNames(c, name); err != nil {
				return err
			}
			if err := dmctl.ValidateUUID(c.String(flagUUID)); err != nil {
				return usagef("create: %v", err)
			}
			var targets []dmctl.Target
			if c.Bool("notable") {
				if c.IsSet("table") || len(args) > 1 {
					return usagef("create: --notable and a table exclude each other")
				}
			} else {
				var err error
				if targets, err = readTable(c, args, 1); err != nil {
					return err
				}
			}
			return withControl(func(ctl *dmctl.Control) error {
				_, err := ctl.CreateDevice(name, c.String(flagUUID), targets, c.Bool("readonly"))
				return err
			})
		},
	}
}
