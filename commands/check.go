package commands

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "reconcile the pool's files, its metadata and the kernel's devices; exit 0 only when all agree",
		Description: "check compares the device files under ROOT/metadata, the thin ids and transaction id " +
			"in the pool's metadata (read online through a metadata snapshot) and the active device-mapper " +
			"devices, and reports orphans and mismatches in either direction, interrupted transactions, " +
			"devices whose deletion was deferred, low free space and a pool in read-only, failed or " +
			"needs_check mode. It exits 1 when anything is found. --repair fixes what is safe and says what " +
			"it did. It never deletes data it cannot prove dmctl made: a thin id that no device file names " +
			"is reported and kept (it may be another program's, or a lost file's), and is deleted only when " +
			"named with --delete-thin. In an adopted pool (dm.thinpooldev), shared with the tool that made " +
			"it, such ids are reported as notices.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "repair", Usage: "fix what is safe to fix"},
			multiFlag("delete-thin", "with --repair: also delete this orphan thin `ID` and its data (repeatable)"),
			&cli.BoolFlag{Name: "yes", Usage: "with --repair: accepted for older scripts; thin ids are deleted only with --delete-thin"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			if c.Bool("yes") && !c.Bool("repair") {
				return usagef("check: --yes goes with --repair")
			}
			var deleteThin []int
			for _, v := range multiValues(c, "delete-thin") {
				id, err := strconv.Atoi(v)
				if err != nil || id < 0 {
					return usagef("check: --delete-thin %q: not a thin id", v)
				}
				deleteThin = append(deleteThin, id)
			}
			if len(deleteThin) > 0 && !c.Bool("repair") {
				return usagef("check: --delete-thin goes with --repair")
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			// Opening for writing finishes or rolls back an open
			// transaction: only --repair may do that.
			return withPool(c, c.Bool("repair"), func(p *pool.Pool) error {
				report, err := p.Check()
				if err != nil {
					return err
				}
				var repaired []string
				if c.Bool("repair") && !report.Consistent() {
					repaired, err = p.Repair(report, deleteThin)
					if err != nil {
						return err
					}
					if report, err = p.Check(); err != nil {
						return err
					}
				}
				if err := renderCheck(c, kind, report, repaired); err != nil {
					return err
				}
				if !report.Consistent() {
					return cli.Exit(fmt.Sprintf("check: pool %s: %d problem(s) found", report.Pool, report.Problems()), ExitFailure)
				}
				return nil
			})
		},
	}
}

func renderCheck(c *cli.Context, kind format.Kind, r pool.CheckReport, repaired []string) error {
	if kind == format.JSON {
		return format.Rows(c.App.Writer, kind, nil, nil, struct {
			pool.CheckReport
			Repaired []string `json:"repaired"`
		}{r, append([]string{}, repaired...)})
	}
	for _, s := range repaired {
		fmt.Fprintf(c.App.Writer, "repaired: %s\n", s)
	}
	if r.Consistent() {
		for _, f := range r.Findings {
			fmt.Fprintf(c.App.Writer, "notice: %s %s: %s\n", f.Kind, f.Subject, f.Detail)
		}
		_, err := fmt.Fprintf(c.App.Writer, "pool %s: consistent (%d device files, %d thin ids, transaction %d)\n",
			r.Pool, r.Devices, r.ThinIDs, r.TransactionID)
		return err
	}
	rows := make([][]string, 0, len(r.Findings))
	for _, f := range r.Findings {
		rows = append(rows, []string{f.Kind, f.Subject, f.Detail, orDash(f.Repair)})
	}
	return format.Rows(c.App.Writer, kind, []string{"PROBLEM", "SUBJECT", "DETAIL", "REPAIR"}, rows, r.Findings)
}
