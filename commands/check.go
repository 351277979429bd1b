//go:build linux

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
			"needs_check mode. It exits 0 when all agree (notices aside), 1 when anything is found or a " +
			"repair fails, 2 for a bad command line and 3 when it could not look (no pool, no device-mapper). " +
			"--repair fixes what is safe and says what it did. It never deletes data it cannot prove dmctl " +
			"made: a thin id that no device file names is reported and kept (it may be another program's, or " +
			"a lost file's), and is deleted only when named with --delete-thin. In an adopted pool " +
			"(dm.thinpooldev), shared with the tool that made it, such ids are reported as notices.\n\n" +
			"Examples:\n" +
			"  dmctl check\n" +
			"  dmctl check --repair\n" +
			"  dmctl check --repair --delete-thin 7\n" +
			"  dmctl check --output json | jq -r '.findings[].kind'",
		Flags: withFlags([]cli.Flag{
			&cli.BoolFlag{Name: "repair", Usage: "fix what is safe to fix"},
			multiFlag("delete-thin", "with --repair: also delete this orphan thin `ID` and its data (repeatable)"),
			&cli.BoolFlag{Name: "yes", Usage: "with --repair: accepted for older scripts; thin ids are deleted only with --delete-thin"},
		}, tableFlags()),
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
			out, err := tableOutput(c, format.CheckTable)
			if err != nil {
				return err
			}
			var report pool.CheckReport
			var repaired []string
			repairFailed := false
			// Opening for writing finishes or rolls back an open
			// transaction: only --repair may do that.
			err = withPool(c, c.Bool("repair"), func(p *pool.Pool) error {
				var err error
				if report, err = p.Check(); err != nil {
					return err
				}
				if c.Bool("repair") && (!report.Consistent() || len(deleteThin) > 0) {
					if repaired, err = p.Repair(report, deleteThin); err != nil {
						repairFailed = true
						return err
					}
					if report, err = p.Check(); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				if _, usage := err.(usageError); usage || repairFailed {
					return err // bad command line (2), or a repair that failed (1)
				}
				return exitError{err: fmt.Errorf("check: could not run: %w", err), code: ExitCheckNotRun}
			}
			if err := format.Check(out, checkRecord(report, repaired)); err != nil {
				return err
			}
			if !report.Consistent() {
				return exitError{err: fmt.Errorf("check: pool %s: %d problem(s) found", report.Pool, report.Problems()), code: ExitFailure}
			}
			return nil
		},
	}
}

// checkRecord turns check's report into its record.
func checkRecord(r pool.CheckReport, repaired []string) format.CheckRecord {
	out := format.CheckRecord{PoolName: r.Pool, Consistent: r.Consistent(), TransactionID: r.TransactionID,
		ThinIDs: r.ThinIDs, DeviceFiles: r.Devices, Repaired: repaired}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, format.CheckFinding{Kind: f.Kind, Subject: f.Subject, Detail: f.Detail,
			Repair: format.OptString(f.Repair), DeletesData: f.DeletesData, Notice: f.Notice})
	}
	return out
}
