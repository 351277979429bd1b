//go:build linux

package commands

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func poolMonitorCommand() *cli.Command {
	return &cli.Command{
		Name:  "monitor",
		Usage: "grow the pool before it fills up: extend its data or metadata when their use reaches --threshold (autoextend)",
		Description: "Watches the pool of --root (or, when --root holds none, every pool found in the directories " +
			"below it) with the kernel's device-mapper events, and polls every --interval as a safety net (every " +
			"second while a pool is close to the threshold). When data or metadata use reaches --threshold it " +
			"grows by --percent: a loop pool's data or metadata file (as pool extend does), an LVM thin pool's " +
			"data or metadata volume through lvextend; a pool on block devices cannot grow and is warned about once " +
			"each time it crosses. For the pools dmctl made it keeps the low water mark at the threshold. It never " +
			"grows past --max-size, nor a loop file into the last --min-free-space of its filesystem, nor an LVM " +
			"volume past its volume group's free space. One line per action goes to standard error (a JSON object " +
			"per line with --output json). SIGTERM or SIGINT stop it cleanly (exit 0). --once checks, grows what " +
			"needs it and exits: 0 when nothing is left over the threshold, 1 otherwise.\n\n" +
			"Examples:\n" +
			"  dmctl pool monitor\n" +
			"  dmctl pool monitor --threshold 70 --percent 25 --max-size 500G --min-free-space 10%\n" +
			"  dmctl --output json pool monitor 2>>/var/log/dmctl-monitor.jsonl\n" +
			"  dmctl pool monitor --once   # from cron or a CI step",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "threshold", Usage: "grow at this use of data or metadata, in percent (default 80, or the pool's dm.thinp_autoextend_threshold)"},
			&cli.StringFlag{Name: "percent", Usage: "grow by this share of the current size, in percent (default 20, or the pool's dm.thinp_autoextend_percent)"},
			&cli.StringFlag{Name: "max-size", Usage: "never grow a pool's data past this size"},
			&cli.StringFlag{Name: "min-free-space", Usage: "keep this share (10%) or size (5G) of the filesystem holding loop files free", Value: "10%"},
			&cli.StringFlag{Name: "interval", Usage: "safety-net poll between the kernel's events, e.g. 30s or 2m", Value: pool.DefaultMonitorInterval.String()},
			&cli.BoolFlag{Name: "once", Usage: "check once, grow what needs it and exit (for cron and CI)"},
			storageOptFlag(),
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			out.W = c.App.ErrWriter // the actions go to standard error
			opts, err := monitorOptions(c)
			if err != nil {
				return usagef("pool monitor: %v", err)
			}
			interval, err := time.ParseDuration(c.String("interval"))
			if err != nil || interval <= 0 {
				return usagef("pool monitor: --interval %q: want a positive duration such as 30s", c.String("interval"))
			}
			root := c.String(flagRoot)
			report := func(e pool.MonitorEvent) {
				format.Monitor(out, monitorRecord(e))
			}
			return withControlEnv(func(env pool.Env) error {
				roots, err := pool.FindPools(root)
				if err != nil {
					return err
				}
				if len(roots) == 0 {
					return fmt.Errorf("pool monitor: no pool in %s or below it: %w", root, pool.ErrPoolNotFound)
				}
				m := pool.NewMonitor(env, opts, report)
				if c.Bool("once") {
					if res := m.Check(roots, true); res.Problems > 0 {
						return fmt.Errorf("pool monitor --once: %d problem(s) left (see above)", res.Problems)
					}
					return nil
				}
				return runMonitor(m, root, roots, interval)
			})
		},
	}
}

// runMonitor runs the monitor until SIGTERM or SIGINT.
func runMonitor(m *pool.Monitor, root string, roots []string, interval time.Duration) error {
	w, err := dmctl.NewEventWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	var stopped atomic.Pointer[string]
	// main catches SIGINT and SIGTERM (pool.CatchInterrupts); the handler
	// turns them into a clean stop. A second catcher here would see each
	// signal twice, and the late copy, arriving after the handler is
	// restored, would end the process with "interrupted" and 143.
	restore := pool.SetInterruptHandler(func(sig os.Signal) {
		s := sig.String()
		if stopped.CompareAndSwap(nil, &s) {
			w.Wake()
		}
	})
	defer restore()
	first := true
	list := func() ([]string, error) {
		if first {
			first = false
			return roots, nil
		}
		return pool.FindPools(root)
	}
	err = m.Run(w, list, interval, func() bool { return stopped.Load() != nil })
	why := "stopped"
	if s := stopped.Load(); s != nil {
		why = "stopped (" + *s + ")"
	}
	m.Stopped(why)
	return err
}

// monitorOptions reads the monitor's flags, then the autoextend storage
// options (dm.thinp_autoextend_threshold, dm.thinp_autoextend_percent),
// which the flags override.
func monitorOptions(c *cli.Context) (pool.MonitorOptions, error) {
	var o pool.MonitorOptions
	for _, opt := range multiValues(c, flagStorageOpt) {
		key, val, ok := strings.Cut(opt, "=")
		if !ok {
			return o, fmt.Errorf("storage option %q: want key=value", opt)
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "dm.thinp_autoextend_threshold":
			n, err := monitorPercent(val)
			if err != nil {
				return o, fmt.Errorf("%s: %w", key, err)
			}
			o.Threshold = n
		case "dm.thinp_autoextend_percent":
			n, err := monitorPercent(val)
			if err != nil {
				return o, fmt.Errorf("%s: %w", key, err)
			}
			o.Percent = n
		default:
			return o, fmt.Errorf("storage option %s does not apply to pool monitor (only dm.thinp_autoextend_threshold and dm.thinp_autoextend_percent do)", key)
		}
	}
	for _, f := range []struct {
		flag string
		dst  *uint64
	}{{"threshold", &o.Threshold}, {"percent", &o.Percent}} {
		if !c.IsSet(f.flag) {
			continue
		}
		n, err := monitorPercent(c.String(f.flag))
		if err != nil {
			return o, fmt.Errorf("--%s: %w", f.flag, err)
		}
		*f.dst = n
	}
	if c.IsSet("max-size") {
		n, err := pool.ParseSize(c.String("max-size"))
		if err != nil {
			return o, fmt.Errorf("--max-size: %w", err)
		}
		o.MaxSize = n
	}
	if v := strings.TrimSpace(c.String("min-free-space")); strings.HasSuffix(v, "%") {
		n, err := strconv.ParseUint(strings.TrimSuffix(v, "%"), 10, 32)
		if err != nil {
			return o, fmt.Errorf("--min-free-space %q: want a percentage or a size", v)
		}
		o.MinFreePercent = n
	} else if v != "" {
		n, err := pool.ParseSize(v)
		if err != nil {
			return o, fmt.Errorf("--min-free-space: %w", err)
		}
		o.MinFreeBytes = n
	}
	return o, o.Validate()
}

// monitorPercent parses "80" or "80%", from 1 to 1000.
func monitorPercent(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(s), "%"), 10, 32)
	if err != nil || n == 0 || n > 1000 {
		return 0, fmt.Errorf("%q: want a percentage from 1 to 1000", s)
	}
	return n, nil
}

// monitorRecord turns a monitor event into its line's record.
func monitorRecord(e pool.MonitorEvent) format.MonitorRecord {
	r := format.MonitorRecord{Time: format.OptTime{Time: e.Time}, Action: e.Action, Root: format.OptString(e.Root),
		PoolName: format.OptString(e.Pool), Resource: format.OptString(e.Resource), Method: format.OptString(e.Method),
		Message: e.Message}
	if e.Resource != "" {
		pct, thr := math.Round(e.UsedPercent*100)/100, e.Threshold
		r.UsedPercent, r.ThresholdPercent = &pct, &thr
	}
	switch e.Action {
	case pool.MonitorExtend, pool.MonitorLimit:
		from, to := e.From, e.To
		r.FromBytes, r.ToBytes = &from, &to
	case pool.MonitorLowWater:
		lwm := e.To
		r.LowWaterMarkBlocks = &lwm
	}
	if e.Took > 0 {
		ms := max(e.Took.Milliseconds(), 1)
		r.DurationMillis = &ms
	}
	return r
}
