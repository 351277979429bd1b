//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
)

func targetsCommand() *cli.Command {
	return &cli.Command{
		Name:  "targets",
		Usage: "list the target types the kernel has registered",
		Description: "Examples:\n" +
			"  dmctl targets\n" +
			"  dmctl targets -o name --noheadings",
		Flags: tableFlags(),
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			out, err := tableOutput(c, format.TargetsTable)
			if err != nil {
				return err
			}
			return withControl(func(ctl *dmctl.Control) error {
				v, err := ctl.TargetVersions()
				if err != nil {
					return err
				}
				recs := make([]format.TargetRecord, len(v))
				for i, t := range v {
					recs[i] = format.TargetRecordOf(t)
				}
				return format.Targets(out, recs)
			})
		},
	}
}
