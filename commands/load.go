//go:build linux

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
		Description: "The table comes from --table, from TABLE_FILE, or from standard input.\n\n" +
			"Examples:\n" +
			"  dmctl load lin --table '0 4096 linear 7:0 0' && dmctl resume lin",
		Flags: withFlags([]cli.Flag{
			&cli.StringFlag{Name: "table", Usage: "the `TABLE`, targets separated by newlines or ';'"},
			&cli.BoolFlag{Name: "readonly", Aliases: []string{"r"}, Usage: "load the table read-only"},
		}, selectFlags()),
		Action: func(c *cli.Context) error {
			return withOneDevice(c, 0, 1, "NAME [TABLE_FILE]", func(rest []string) (deviceAction, error) {
				targets, err := readTable(c, rest, 0)
				if err != nil {
					return nil, err
				}
				return func(ctl *dmctl.Control, name string) error {
					_, err := ctl.Load(name, targets, c.Bool("readonly"))
					return err
				}, nil
			})
		},
	}
}
