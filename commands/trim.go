//go:build linux

package commands

import (
	"fmt"
	"sort"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func trimCommand() *cli.Command {
	return &cli.Command{
		Name:  "trim",
		Usage: "give the pool's free data blocks back to the storage under it, online",
		Description: "trim FITRIMs every mounted thin device of the pool (so space freed inside " +
			"filesystems goes back to the pool), then suspends the pool briefly, reads its committed " +
			"data space map and punches every free run out of the data file (loop pools) or discards " +
			"it on the data device, and resumes the pool. It reports the bytes reclaimed and how long " +
			"the pool was suspended. --dry-run changes nothing and does not suspend the pool: it reads " +
			"the space map through a metadata snapshot and reports what a trim would give back (space " +
			"that filesystems freed but have not discarded yet is not counted: only FITRIM finds it).\n\n" +
			"Examples:\n" +
			"  dmctl trim --dry-run\n" +
			"  dmctl trim\n" +
			"  dmctl trim --output json | jq .reclaimed_bytes",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "report what would be reclaimed, change nothing"},
			&cli.BoolFlag{Name: "no-fstrim", Usage: "do not FITRIM the mounted thin devices first"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			dryRun := c.Bool("dry-run")
			return withPool(c, !dryRun, func(p *pool.Pool) error {
				opts := pool.TrimOptions{DryRun: dryRun, NoFSTrim: c.Bool("no-fstrim")}
				if isTerminal(c.App.ErrWriter) {
					// People at a terminal see progress; scripts get the report only.
					var last time.Time
					opts.Progress = func(done, total uint64) {
						if time.Since(last) < 100*time.Millisecond && done < total {
							return
						}
						last = time.Now()
						fmt.Fprintf(c.App.ErrWriter, "\rtrim: %d of %d free blocks", done, total)
					}
				}
				res, err := p.Trim(opts)
				if opts.Progress != nil {
					fmt.Fprintln(c.App.ErrWriter)
				}
				if err != nil {
					return err
				}
				return format.Trim(out, trimRecord(res, dryRun))
			})
		},
	}
}

// trimRecord turns trim's result into its record.
func trimRecord(r pool.TrimResult, dryRun bool) format.TrimRecord {
	out := format.TrimRecord{DryRun: dryRun, DataLoopFile: format.OptString(r.DataFile), DataDevice: format.OptString(r.DataDevice),
		FreeDataBlocks: r.FreeBlocks, FreeDataBytes: r.FreeBytes, FreeRuns: r.Runs}
	mounts := make([]string, 0, len(r.FSTrimmed))
	for mp := range r.FSTrimmed {
		mounts = append(mounts, mp)
	}
	sort.Strings(mounts)
	for _, mp := range mounts {
		out.FilesystemsTrimmed = append(out.FilesystemsTrimmed, format.FilesystemTrim{Mountpoint: mp, TrimmedBytes: r.FSTrimmed[mp]})
	}
	if r.DataFile != "" {
		before, reclaimed := r.AllocatedBefore, r.Reclaimed()
		out.AllocatedBeforeBytes, out.ReclaimedBytes = &before, &reclaimed
		if !dryRun {
			after := r.AllocatedAfter
			out.AllocatedAfterBytes = &after
		}
	}
	if !dryRun {
		us := r.Suspended.Microseconds()
		out.SuspendedMicros = &us
	}
	return out
}
