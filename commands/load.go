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
			if err := minArgs(c, 1, "NAME [TABLE_FILE]"); err != nil {
				return err
			}
			if c.NArg() > 2 {
				return usagef("load: want NAME [TABLE_FILE], got %d arguments", c.NArg())
			}
			targets, err := readTable(c, 1)
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				_, err := ctl.Load(c.Args().First(), targets, c.Bool("readonly"))
				return err
			})
		},
	}
}
