//go:build linux

package main

import (
	"fmt"
	"path"
	"strings"
)

// target is one of dmctl's performance targets, checked against the
// figures of a run. Guards are set from runs on an idle machine: a busy one
// adds the same delays to every contender and so understates ratios. The
// snapshot figures vary most (their metadata commits and fsyncs wait on the
// host's disk): their guards catch only a gross regression. Enforced targets fail make bench-check
// when missed. A target not yet met is reported only, but its guard (a
// ceiling a little above today's figure) still fails the check, so that
// nothing gets slower while the work it waits for is pending.
type target struct {
	match   string  // figure id, path.Match pattern ("reads/status@*")
	largest bool    // only the figures at the run's largest device count
	what    string  // the target in words
	kind    string  // peer, floor (ratios), rss (KiB), linear (per-device cost, largest over smallest size), extra:NAME
	limit   float64 // the target
	enforce bool
	guard   float64 // when not enforced: the regression ceiling (0: none)
	pending string  // when not enforced: what it waits for
}

var targets = []target{
	{match: "startup/version", what: "dmctl version ≤ 1.2× a static Go binary doing one DM_VERSION", kind: "floor", limit: 1.2,
		guard: 3.0, pending: "the dependencies' initialisation before main (see Start-up)"},
	{match: "snapshot/create", what: "snapshot create + activate ≤ 0.5× dmsetup message + create", kind: "peer", limit: 0.5,
		guard: 4.5, pending: "fewer metadata commits and fsyncs per operation"},
	{match: "snapshot/remove", what: "deactivate + snapshot rm ≤ 0.5× dmsetup remove + message", kind: "peer", limit: 0.5,
		guard: 4.5, pending: "one metadata commit per operation; discard from the metadata instead of re-activating"},
	{match: "snapshot@*/create", what: "the same with 1,000 thin devices recorded", kind: "peer", limit: 0.5,
		pending: "a device-file index instead of reading every device file"},
	{match: "snapshot@*/remove", what: "the same with 1,000 thin devices recorded", kind: "peer", limit: 0.5,
		pending: "a device-file index instead of reading every device file"},
	{match: "batch/*", what: "many operations in one process (dmctl batch) ≤ 1.2× the floor per operation", kind: "floor", limit: 1.2,
		pending: "dmctl batch and multi-id commands"},
	{match: "reads/status-dmsetup@*", largest: true, what: "status (dmsetup text) ≤ 1× dmsetup status", kind: "peer", limit: 1, enforce: true},
	{match: "reads/table-dmsetup@*", largest: true, what: "table (dmsetup text) ≤ 1× dmsetup table", kind: "peer", limit: 1, enforce: true},
	{match: "reads/deps-dmsetup@*", largest: true, what: "deps (dmsetup text) ≤ 1× dmsetup deps", kind: "peer", limit: 1, enforce: true},
	{match: "reads/info@*", largest: true, what: "info of every device (dmsetup text) ≤ 1× dmsetup info", kind: "peer", limit: 1,
		guard: 1.5, pending: "start-up, which weighs at 1,000 devices (the short set's size)"},
	{match: "reads/info-c@*", largest: true, what: "info -c ≤ 1× dmsetup info -c", kind: "peer", limit: 1,
		guard: 1.5, pending: "start-up, which weighs at 1,000 devices (the short set's size)"},
	{match: "reads/ls-dmsetup@*", largest: true, what: "ls (dmsetup text) ≤ 1× dmsetup ls", kind: "peer", limit: 1,
		guard: 4, pending: "start-up, nearly all of ls at 1,000 devices; rows written as they come"},
	{match: "reads/ls@*", largest: true, what: "ls ≤ 1× dmsetup ls", kind: "peer", limit: 1,
		guard: 15, pending: "a table renderer that streams rows instead of measuring them all"},
	{match: "reads/status@*", largest: true, what: "status ≤ 1× dmsetup status", kind: "peer", limit: 1,
		guard: 12, pending: "a streaming renderer; one status read per device and one mount table read per command"},
	{match: "reads/table@*", largest: true, what: "table ≤ 1× dmsetup table", kind: "peer", limit: 1,
		guard: 6, pending: "a table renderer that streams rows"},
	{match: "reads/deps@*", largest: true, what: "deps ≤ 1× dmsetup deps", kind: "peer", limit: 1,
		guard: 6, pending: "a streaming renderer; naming dependencies from the device list instead of one ioctl each"},
	{match: "reads/tree@*", largest: true, what: "ls --tree ≤ 1× dmsetup ls --tree", kind: "peer", limit: 1,
		guard: 12, pending: "a streaming renderer; one status read per device and one mount table read per command"},
	{match: "reads/*", what: "every read's cost per device grows at most 1.3× from the smallest to the largest size", kind: "linear", limit: 1.3,
		guard: 2, pending: "the renderer's and mount table's per-device costs"},
	{match: "reads/*", largest: true, what: "peak RSS of every read ≤ 20 MiB", kind: "rss", limit: 20 << 10,
		guard: 40 << 10, pending: "rows streamed to the output instead of kept"},
	{match: "pool@*/info", what: "info on a pool of 1,000 thins ≤ 1× thin_ls on a metadata snapshot", kind: "peer", limit: 1,
		pending: "a device-file index instead of reading every device file"},
	{match: "pool@*/snapshot-ls", what: "snapshot ls on a pool of 1,000 thins ≤ 1× thin_ls", kind: "peer", limit: 1,
		pending: "a device-file index; one metadata pass"},
	{match: "pool@*/check", what: "check on a pool of 1,000 thins ≤ 1× thin_ls", kind: "peer", limit: 1,
		pending: "a device-file index; one metadata pass"},
	{match: "trim/*", what: "trim: pool suspended < 1 s in total", kind: "extra:suspended_s", limit: 1,
		pending: "hole punching in short suspended windows"},
	{match: "trim/*", what: "trim ≤ 1× thin_trim's offline run", kind: "peer", limit: 1,
		pending: "hole punching in short suspended windows"},
	{match: "startup/*", what: "peak RSS of a single operation ≤ 10 MiB", kind: "rss", limit: 10 << 10,
		guard: 16 << 10, pending: "a smaller runtime heap and start-up"},
	{match: "snapshot*/*", what: "peak RSS of a single operation ≤ 10 MiB", kind: "rss", limit: 10 << 10,
		guard: 16 << 10, pending: "a smaller runtime heap and start-up"},
}

// verdict is a target evaluated on a run.
type verdict struct {
	t        target
	value    float64 // the worst matching figure's value
	worst    string  // its id
	measured bool
	met      bool
	guarded  bool // within the guard (or no guard)
}

func (v verdict) fails() bool {
	if !v.measured {
		return false
	}
	if v.t.enforce {
		return !v.met
	}
	return !v.guarded
}

func (v verdict) status() string {
	switch {
	case !v.measured:
		return "not measured"
	case v.met:
		return "met"
	case v.t.enforce:
		return "MISSED"
	case !v.guarded:
		return fmt.Sprintf("REGRESSED (guard %s)", v.format(v.t.guard))
	}
	return "not yet"
}

func (v verdict) format(x float64) string {
	switch {
	case v.t.kind == "rss":
		return fmt.Sprintf("%.1f MiB", x/1024)
	case strings.HasPrefix(v.t.kind, "extra:"):
		return fmt.Sprintf("%.2f s", x)
	}
	return fmt.Sprintf("%.2f×", x)
}

// evaluate checks every target against the run.
func evaluate(r *Run) []verdict {
	var out []verdict
	for _, t := range targets {
		v := verdict{t: t}
		consider := func(id string, x float64) {
			if x <= 0 {
				return
			}
			if !v.measured || x > v.value {
				v.value, v.worst = x, id
			}
			v.measured = true
		}
		if t.kind == "linear" {
			linearity(r, t.match, consider)
		}
		largest := 0
		if sizes := r.sizes(); len(sizes) > 0 {
			largest = sizes[len(sizes)-1]
		}
		for _, f := range r.Figures {
			if ok, _ := path.Match(t.match, f.ID); !ok {
				continue
			}
			if t.largest && !strings.HasSuffix(f.ID, fmt.Sprintf("@%d", largest)) {
				continue
			}
			switch {
			case t.kind == "peer":
				consider(f.ID, f.PeerRatio())
			case t.kind == "floor":
				consider(f.ID, f.FloorRatio())
			case t.kind == "rss" && f.Dmctl != nil:
				consider(f.ID, float64(f.Dmctl.MaxRSSKB))
			case strings.HasPrefix(t.kind, "extra:"):
				if x, ok := f.Extra[strings.TrimPrefix(t.kind, "extra:")]; ok {
					consider(f.ID, max(x, 1e-9))
				}
			}
		}
		v.met = v.measured && v.value <= t.limit
		v.guarded = t.guard == 0 || v.value <= t.guard
		out = append(out, v)
	}
	return out
}

// linearity reports, for each read verb measured at two sizes or more,
// dmctl's time per device at the largest size over that at the smallest.
func linearity(r *Run, match string, consider func(string, float64)) {
	sizes := r.sizes()
	if len(sizes) < 2 {
		return
	}
	lo, hi := sizes[0], sizes[len(sizes)-1]
	for _, f := range r.Figures {
		if f.Group != "reads" || f.Devices == 0 || f.Dmctl == nil {
			continue
		}
		verb, size, _ := strings.Cut(f.ID, "@")
		if size != fmt.Sprint(hi) {
			continue
		}
		if ok, _ := path.Match(match, f.ID); !ok {
			continue
		}
		small, ok := r.figure(fmt.Sprintf("%s@%d", verb, lo))
		if !ok || small.Dmctl == nil || small.Devices == 0 {
			continue
		}
		perHi := f.Dmctl.Seconds / float64(f.Devices)
		perLo := small.Dmctl.Seconds / float64(small.Devices)
		consider(verb, perHi/perLo)
	}
}
