package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
)

func loadCommand() *cli.Command {
	return &cli.Command{
		Name:      "load",
		Aliases:   []string{"reload"},
		Usage:     "load a table into a device's inactive slot (resume makes it live)",
		ArgsUsage: "NAME [TABLE_FILE]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "table", Usage: "the table, targets separated by newlines or ';'"},
			&cli.BoolFlag{Name: "readonly", Aliases: []string{"r"}, Usage: "load the table read-only"},
		},
		Action: func(c *cli.Context) error {
			args, err := minArgs(c, 1, 2, "NAME [TABLE_FILE]")
			if err != nil {
				return err
			}
			targets, err := readTable(c, args, 1)
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				_, err := ctl.Load(args[0], targets, c.Bool("readonly"))
				return err
			})
		},
	}
}
