package commands

import (
	"fmt"
	"sort"
	"time"

	"github.com/dustin/go-humanize"
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
			"the pool was suspended.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "report what would be reclaimed, change nothing"},
			&cli.BoolFlag{Name: "no-fstrim", Usage: "do not FITRIM the mounted thin devices first"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no arguments"); err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				opts := pool.TrimOptions{DryRun: c.Bool("dry-run"), NoFSTrim: c.Bool("no-fstrim")}
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
				return renderTrim(c, kind, res, c.Bool("dry-run"))
			})
		},
	}
}

func renderTrim(c *cli.Context, kind format.Kind, r pool.TrimResult, dryRun bool) error {
	var fsBytes uint64
	mounts := make([]string, 0, len(r.FSTrimmed))
	for mp, n := range r.FSTrimmed {
		fsBytes += n
		mounts = append(mounts, mp)
	}
	sort.Strings(mounts)
	target := r.DataFile
	if target == "" {
		target = r.DataDevice
	}
	kvs := []format.KV{
		{Key: "Dry Run", Value: fmt.Sprint(dryRun), JSONKey: "dry_run", JSONValue: dryRun},
		{Key: "Trimmed", Value: target, JSONKey: "target", JSONValue: target},
		{Key: "Filesystems Trimmed", Value: fmt.Sprintf("%d (%s)", len(mounts), humanize.IBytes(fsBytes)),
			JSONKey: "filesystems_trimmed_bytes", JSONValue: fsBytes},
		{Key: "Free Data Blocks", Value: fmt.Sprint(r.FreeBlocks), JSONKey: "free_data_blocks", JSONValue: r.FreeBlocks},
		{Key: "Free Data Space", Value: humanize.IBytes(r.FreeBytes), JSONKey: "free_data_bytes", JSONValue: r.FreeBytes},
		{Key: "Free Runs", Value: fmt.Sprint(r.Runs), JSONKey: "free_runs", JSONValue: r.Runs},
	}
	if r.DataFile != "" {
		kvs = append(kvs,
			format.KV{Key: "Data File Allocated Before", Value: humanize.IBytes(r.AllocatedBefore),
				JSONKey: "allocated_before_bytes", JSONValue: r.AllocatedBefore},
			format.KV{Key: "Data File Allocated After", Value: humanize.IBytes(r.AllocatedAfter),
				JSONKey: "allocated_after_bytes", JSONValue: r.AllocatedAfter},
			format.KV{Key: "Reclaimed", Value: humanize.IBytes(r.Reclaimed()),
				JSONKey: "reclaimed_bytes", JSONValue: r.Reclaimed()})
	}
	kvs = append(kvs, format.KV{Key: "Pool Suspended", Value: r.Suspended.Round(10_000).String(),
		JSONKey: "suspended_microseconds", JSONValue: r.Suspended.Microseconds()})
	return format.KeyValues(c.App.Writer, kind, "Trim", kvs)
}
