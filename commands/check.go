package commands

import (
	"fmt"

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
			"it did; deleting thin ids that no file names deletes data and needs --yes as well.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "repair", Usage: "fix what is safe to fix"},
			&cli.BoolFlag{Name: "yes", Usage: "with --repair: also delete thin ids no device file names (their data is lost)"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			if c.Bool("yes") && !c.Bool("repair") {
				return usagef("check: --yes goes with --repair")
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
					repaired, err = p.Repair(report, c.Bool("yes"))
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
					return cli.Exit(fmt.Sprintf("check: pool %s: %d problem(s) found", report.Pool, len(report.Findings)), ExitFailure)
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
