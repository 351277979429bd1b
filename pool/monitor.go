//go:build linux

package pool

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

// The autoextend monitor.
//
// A thin pool that runs out of data space queues every write that needs a
// new block (and fails them after the kernel's no_space_timeout); one that
// runs out of metadata space goes read-only and needs thin_check before it
// can be written again. LVM guards its own pools with dmeventd, which
// grows them at thin_pool_autoextend_threshold; the monitor does the same
// for every pool dmctl runs. It waits for the kernel's events (a pool
// crossing its low water mark, running out of space, changing mode; see
// dmctl.EventWatcher), with a slow poll as a safety net (one second while
// a pool is close to the threshold), and when data or metadata use
// reaches the threshold it grows the pool by a share of its size:
//
//   - a loop pool's data or metadata file, through Extend (the file is
//     lengthened, the loop device told, the table reloaded);
//   - an LVM thin pool (adopted, or set up with direct-lvm) through LVM:
//     lvextend of its data or metadata volume, as dmeventd's thin plugin
//     does; its table is LVM's and is never loaded by dmctl;
//   - a pool on block devices, or one whose owner is not LVM, cannot be
//     grown by dmctl: the monitor warns once each time it crosses.
//
// For the pools dmctl created it keeps the low water mark at the
// threshold (the kernel's event then comes when the threshold is
// crossed). It never grows a pool past MaxSize, nor a loop file into the
// last MinFree of the filesystem that holds it, nor an LVM volume past its
// volume group's free space, and says so when it stops growing.

// Monitor defaults: the sources' autoextend settings.
const (
	DefaultMonitorThreshold = DefaultAutoExtendThr // percent used that triggers growth
	DefaultMonitorPercent   = DefaultAutoExtendPct // growth, in percent of the current size
	DefaultMonitorInterval  = 30 * time.Second     // safety-net poll
	monitorNearInterval     = time.Second          // poll while a pool is close to the threshold
	monitorNearPoints       = 5                    // "close": within this many percentage points
	DefaultMinFreePercent   = 10                   // of the filesystem holding loop files
)

// The resources a pool runs out of.
const (
	ResourceData     = "data"
	ResourceMetadata = "metadata"
)

// Monitor actions, one MonitorEvent each.
const (
	MonitorStart    = "start"          // the monitor started watching pools
	MonitorStop     = "stop"           // it stopped (SIGTERM, --once done)
	MonitorExtend   = "extend"         // a pool's data or metadata grew
	MonitorLimit    = "limit"          // it would grow but may not (max size, free space)
	MonitorWarn     = "warn"           // it crossed but cannot be grown by dmctl
	MonitorLowWater = "low-water-mark" // the pool's low water mark was set to the threshold
	MonitorMode     = "mode"           // the pool's mode changed (out of space, read-only, failed)
	MonitorInactive = "inactive"       // the pool is not active
	MonitorError    = "error"          // something failed; the monitor goes on
)

// MonitorOptions say when and how far the monitor grows pools.
type MonitorOptions struct {
	// Threshold is the share of data or metadata in use, in percent, at
	// which a pool grows. 0 means the pool's dm.thinp_autoextend_threshold
	// when it was set up with direct-lvm, else 80.
	Threshold uint64
	// Percent is how much it grows, in percent of its current size. 0
	// means the pool's dm.thinp_autoextend_percent when it was set up with
	// direct-lvm, else 20.
	Percent uint64
	// MaxSize caps a pool's data size in bytes (0: no cap).
	MaxSize uint64
	// MinFreePercent and MinFreeBytes keep the last share (or bytes,
	// whichever is more) of the filesystem holding a loop pool's files
	// free: growth never lets the pool claim them.
	MinFreePercent uint64
	MinFreeBytes   uint64
}

// forPool returns the threshold and percentage for a pool: the options',
// else its direct-lvm settings, else the defaults.
func (o MonitorOptions) forPool(lvm *DirectLVMConfig) (threshold, pct uint64) {
	threshold, pct = o.Threshold, o.Percent
	if lvm != nil {
		n := lvm.Normalized()
		if threshold == 0 {
			threshold = n.AutoExtendThreshold
		}
		if pct == 0 {
			pct = n.AutoExtendPercent
		}
	}
	if threshold == 0 {
		threshold = DefaultMonitorThreshold
	}
	if pct == 0 {
		pct = DefaultMonitorPercent
	}
	return threshold, pct
}

// Validate checks the options.
func (o MonitorOptions) Validate() error {
	var errs []error
	if o.Threshold > 100 {
		errs = append(errs, fmt.Errorf("threshold %d%%: must be between 1%% and 100%%", o.Threshold))
	}
	if o.Percent > 1000 {
		errs = append(errs, fmt.Errorf("percent %d%%: must be between 1%% and 1000%%", o.Percent))
	}
	if o.MinFreePercent > 99 {
		errs = append(errs, fmt.Errorf("min free space %d%%: must be between 0%% and 99%%", o.MinFreePercent))
	}
	return errors.Join(errs...)
}

// MonitorEvent is one thing the monitor did or saw.
type MonitorEvent struct {
	Time        time.Time
	Root        string
	Pool        string
	Action      string        // one of the Monitor* actions
	Resource    string        // ResourceData or ResourceMetadata; "" when the action is about the pool
	UsedPercent float64       // the resource's use when it crossed
	Threshold   uint64        // percent
	From, To    uint64        // sizes in bytes (extend, limit); blocks for the low water mark
	Took        time.Duration // how long the action took
	Method      string        // how it grew: "loop file", "lvextend"
	Message     string        // what happened, in words
}

// Monitor watches pools and grows them (see the package comment above).
type Monitor struct {
	env    Env
	opts   MonitorOptions
	report func(MonitorEvent)
	now    func() time.Time
	pools  map[string]*watchedPool // by root
}

// watchedPool is what the monitor keeps of one pool between checks.
type watchedPool struct {
	root    string
	info    poolFacts
	crossed map[string]bool // resource → warned or limited since it crossed
	mode    string          // last mode reported
	lastErr string          // last error reported
	lwmSet  bool            // the low water mark is at the threshold
}

// poolFacts is what a check needs to know of a pool, read under the
// root's lock when the monitor first sees it and at every safety-net poll.
type poolFacts struct {
	name       string
	mode       Mode
	lvm        *LVMVolume
	dataFile   string
	metaFile   string
	blockBytes uint64
	threshold  uint64 // percent
	pct        uint64 // growth, percent
}

// NewMonitor returns a monitor that reports what it does to report.
func NewMonitor(env Env, opts MonitorOptions, report func(MonitorEvent)) *Monitor {
	if report == nil {
		report = func(MonitorEvent) {}
	}
	return &Monitor{env: env, opts: opts, report: report, now: env.now, pools: map[string]*watchedPool{}}
}

func (m *Monitor) emit(w *watchedPool, e MonitorEvent) {
	e.Time = m.now().UTC()
	if w != nil {
		e.Root, e.Pool = w.root, w.info.name
	}
	if e.Threshold == 0 && e.Resource != "" && w != nil {
		e.Threshold = w.info.threshold
	}
	m.report(e)
}

// Started reports that the monitor watches roots.
func (m *Monitor) Started(roots []string) {
	thr, pct := m.opts.forPool(nil)
	msg := fmt.Sprintf("watching %s: a pool grows by %d%% when %d%% of its data or metadata is used",
		strings.Join(roots, ", "), pct, thr)
	if m.opts.Threshold == 0 || m.opts.Percent == 0 {
		msg += " (a direct-lvm pool by its own dm.thinp_autoextend settings)"
	}
	m.emit(nil, MonitorEvent{Action: MonitorStart, Message: msg})
}

// Stopped reports that the monitor stops.
func (m *Monitor) Stopped(why string) {
	m.emit(nil, MonitorEvent{Action: MonitorStop, Message: why})
}

// Result sums up a round of checks.
type Result struct {
	// Problems counts the pools over the threshold that could not be
	// grown, and the errors.
	Problems int
	// Near is set when a pool is within a few points of the threshold:
	// the caller then checks again soon.
	Near bool
}

// Check looks at every pool of roots once and grows those over the
// threshold. refresh re-reads what it knows of each pool from its root
// (done anyway for a root seen for the first time). Pools no longer in
// roots are forgotten.
func (m *Monitor) Check(roots []string, refresh bool) Result {
	var res Result
	seen := map[string]bool{}
	for _, root := range roots {
		seen[root] = true
		w := m.pools[root]
		if w == nil {
			w = &watchedPool{root: root, crossed: map[string]bool{}}
			m.pools[root] = w
			refresh = true
		}
		r := m.checkPool(w, refresh)
		res.Problems += r.Problems
		res.Near = res.Near || r.Near
	}
	for root := range m.pools {
		if !seen[root] {
			delete(m.pools, root)
		}
	}
	return res
}

// fail reports an error once per distinct message.
func (m *Monitor) fail(w *watchedPool, resource string, err error) Result {
	if msg := err.Error(); msg != w.lastErr {
		w.lastErr = msg
		m.emit(w, MonitorEvent{Action: MonitorError, Resource: resource, Message: msg})
	}
	return Result{Problems: 1}
}

// facts reads what the monitor needs of the pool at root.
func (m *Monitor) facts(root string) (poolFacts, error) {
	p, err := Open(root, m.env, OpenOptions{})
	if err != nil {
		return poolFacts{}, err
	}
	defer p.Close()
	f := poolFacts{name: p.names.Pool, mode: p.rec.Mode, blockBytes: p.rec.Config.BlockSize}
	f.threshold, f.pct = m.opts.forPool(p.rec.Config.DirectLVM)
	if p.rec.Mode == ModeLoop {
		f.dataFile, f.metaFile = p.store.DataFile(), p.store.MetadataFile()
	}
	if f.lvm, err = p.LVMVolume(); err != nil {
		return poolFacts{}, err
	}
	return f, nil
}

// checkPool checks one pool.
func (m *Monitor) checkPool(w *watchedPool, refresh bool) Result {
	if refresh || w.info.name == "" {
		f, err := m.facts(w.root)
		if err != nil {
			return m.fail(w, "", err)
		}
		if f.name != w.info.name || f.threshold != w.info.threshold {
			w.lwmSet = false
		}
		w.info = f
	}
	target, st, err := readPoolStatus(m.env.DM, w.info.name)
	if errors.Is(err, ErrPoolInactive) {
		if w.mode != "inactive" {
			w.mode = "inactive"
			m.emit(w, MonitorEvent{Action: MonitorInactive, Message: "the pool is not active"})
		}
		return Result{}
	}
	if err != nil {
		return m.fail(w, "", err)
	}
	if w.info.blockBytes == 0 || refresh {
		if b := st.BlockBytes(target.Length); b != 0 {
			w.info.blockBytes = b
		}
	}
	var res Result
	if mode := poolModeWord(st); mode != w.mode {
		prev := w.mode
		w.mode = mode
		if mode != PoolModeReadWrite || (prev != "" && prev != "inactive") {
			m.emit(w, MonitorEvent{Action: MonitorMode, Message: modeMessage(st)})
		}
	}
	if st.Failed || st.NeedsCheck || st.Mode == PoolModeReadOnly {
		// Nothing can be grown until the pool is repaired.
		return Result{Problems: 1}
	}
	for _, r := range []struct {
		resource    string
		used, total uint64
	}{
		{ResourceData, st.UsedDataBlocks, st.TotalDataBlocks},
		{ResourceMetadata, st.UsedMetaBlocks, st.TotalMetaBlocks},
	} {
		pct := percent(r.used, r.total)
		if pct+monitorNearPoints >= float64(w.info.threshold) {
			res.Near = true
		}
		if pct < float64(w.info.threshold) {
			w.crossed[r.resource] = false
			continue
		}
		rr := m.grow(w, r.resource, pct, st)
		res.Problems += rr.Problems
	}
	if !w.lwmSet && w.info.mode != ModeAdopted {
		m.syncLowWater(w, st)
	}
	return res
}

// poolModeWord names the pool's mode for the change reports.
func poolModeWord(st PoolStatus) string {
	switch {
	case st.Failed:
		return st.Mode
	case st.NeedsCheck:
		return "needs_check"
	}
	return st.Mode
}

// modeMessage says what a pool mode means for the monitor.
func modeMessage(st PoolStatus) string {
	switch {
	case st.Failed:
		return "the pool has failed (" + st.Mode + "): it needs repair (thin_check, thin_repair)"
	case st.NeedsCheck:
		return "the pool's metadata needs checking (needs_check): it stays read-only until thin_check has run"
	case st.Mode == PoolModeReadOnly:
		return "the pool is read-only (its metadata may be full or damaged)"
	case st.Mode == PoolModeOutOfDataSpace:
		return "the pool is out of data space: writes that need new blocks wait"
	}
	return "the pool is read-write again"
}

// lowWaterFor returns the low water mark, in blocks, at which the kernel
// raises its event as use reaches threshold percent of total blocks.
func lowWaterFor(total, threshold uint64) uint64 {
	used := (total*threshold + 99) / 100
	if used >= total {
		return 1
	}
	return total - used
}

// syncLowWater sets the low water mark of a pool dmctl created to the
// threshold, once.
func (m *Monitor) syncLowWater(w *watchedPool, st PoolStatus) {
	want := lowWaterFor(st.TotalDataBlocks, w.info.threshold)
	_, table, err := readPoolTable(m.env.DM, w.info.name)
	if err == nil && table.LowWater == want {
		w.lwmSet = true
		return
	}
	start := m.now()
	err = m.withPool(w, func(p *Pool) error {
		_, err := p.Extend(ExtendOptions{LowWaterMark: want})
		return err
	})
	if err != nil {
		m.fail(w, ResourceData, fmt.Errorf("set the low water mark: %w", err))
		return
	}
	w.lwmSet = true
	m.emit(w, MonitorEvent{Action: MonitorLowWater, From: table.LowWater, To: want, Took: m.now().Sub(start),
		Message: fmt.Sprintf("low water mark set to %d of %d blocks, so the kernel's event comes at %d%% data use",
			want, st.TotalDataBlocks, w.info.threshold)})
}

// withPool opens the pool for changes, runs fn and closes it.
func (m *Monitor) withPool(w *watchedPool, fn func(*Pool) error) error {
	p, err := Open(w.root, m.env, OpenOptions{Write: true})
	if err != nil {
		return err
	}
	defer p.Close()
	if p.names.Pool != w.info.name {
		return fmt.Errorf("pool at %s is now %s, not %s", w.root, p.names.Pool, w.info.name)
	}
	return fn(p)
}

// growth returns cur grown by the monitor's percentage, at least by one
// unit, rounded up to whole units.
func growth(cur, unit, pct uint64) uint64 {
	if unit == 0 {
		unit = 1
	}
	add := uint64(math.Ceil(float64(cur) * float64(pct) / 100))
	if add < unit {
		add = unit
	}
	next := cur + add
	return (next + unit - 1) / unit * unit
}

// grow grows one resource of a pool over the threshold.
func (m *Monitor) grow(w *watchedPool, resource string, pct float64, st PoolStatus) Result {
	switch {
	case w.info.mode == ModeLoop:
		return m.growLoop(w, resource, pct)
	case w.info.lvm != nil:
		return m.growLVM(w, resource, pct)
	}
	if !w.crossed[resource] {
		w.crossed[resource] = true
		why := "it is on block devices: grow them, then run dmctl pool extend"
		if w.info.mode == ModeAdopted {
			why = "it belongs to the program that made it, which must grow it"
		}
		m.emit(w, MonitorEvent{Action: MonitorWarn, Resource: resource, UsedPercent: pct,
			Message: fmt.Sprintf("%s is %.1f%% used (threshold %d%%) and dmctl cannot grow the pool: %s",
				resource, pct, w.info.threshold, why)})
	}
	return Result{Problems: 1}
}

// limited reports, once per crossing, that a resource may not grow.
func (m *Monitor) limited(w *watchedPool, resource string, pct float64, cur uint64, why string) Result {
	if !w.crossed[resource] {
		w.crossed[resource] = true
		m.emit(w, MonitorEvent{Action: MonitorLimit, Resource: resource, UsedPercent: pct, From: cur, To: cur,
			Message: fmt.Sprintf("%s is %.1f%% used (threshold %d%%) but stops growing at %s: %s",
				resource, pct, w.info.threshold, formatBytes(cur), why)})
	}
	return Result{Problems: 1}
}

// growLoop grows a loop pool's data or metadata file through Extend.
func (m *Monitor) growLoop(w *watchedPool, resource string, pct float64) Result {
	file, unit, maxSize := w.info.dataFile, w.info.blockBytes, m.opts.MaxSize
	if resource == ResourceMetadata {
		file, unit, maxSize = w.info.metaFile, MetadataBlockBytes, maxMetadataBytes
	}
	cur, err := m.env.Sys.DeviceSize(file)
	if err != nil {
		return m.fail(w, resource, err)
	}
	target := growth(cur, unit, w.info.pct)
	limit := ""
	if maxSize != 0 && target > maxSize {
		target = maxSize / unit * unit
		limit = "the maximum size " + formatBytes(maxSize)
		if resource == ResourceMetadata {
			limit = "the kernel's largest metadata device " + formatBytes(maxSize)
		}
	}
	// The pool may come to fill the whole file: it must fit in the free
	// space of its filesystem, less the part kept free.
	if capSize, why, err := m.fsCap(file, cur, unit); err != nil {
		return m.fail(w, resource, err)
	} else if capSize < target {
		target, limit = capSize, why
	}
	if target <= cur {
		return m.limited(w, resource, pct, cur, limit)
	}
	opts := ExtendOptions{DataSize: target}
	if resource == ResourceMetadata {
		opts = ExtendOptions{MetadataSize: target}
	}
	start := m.now()
	var got ExtendResult
	err = m.withPool(w, func(p *Pool) error {
		if resource == ResourceData {
			opts.LowWaterMark = lowWaterFor(target/w.info.blockBytes, w.info.threshold)
		}
		var err error
		got, err = p.Extend(opts)
		return err
	})
	if err != nil {
		return m.fail(w, resource, err)
	}
	to := got.DataSize
	if resource == ResourceMetadata {
		to = got.MetadataSize
	}
	if resource == ResourceData {
		w.lwmSet = true
	}
	w.lastErr = ""
	msg := fmt.Sprintf("%s was %.1f%% used (threshold %d%%): grew the %s file %s from %s to %s",
		resource, pct, w.info.threshold, resource, file, formatBytes(cur), formatBytes(to))
	if limit != "" {
		msg += " (the most " + limit + " allows)"
	}
	m.emit(w, MonitorEvent{Action: MonitorExtend, Resource: resource, UsedPercent: pct, From: cur, To: to,
		Took: m.now().Sub(start), Method: "loop file", Message: msg})
	return Result{}
}

// fsCap returns the largest size a loop file (now cur bytes) may grow
// to so that its filesystem keeps the part the options keep free even
// when the pool fills it, rounded down to unit; why says what limits it.
func (m *Monitor) fsCap(file string, cur, unit uint64) (uint64, string, error) {
	free, total, err := m.env.Sys.FSStat(filepath.Dir(file))
	if err != nil {
		return 0, "", err
	}
	allocated, err := m.env.Sys.Allocated(file)
	if err != nil {
		return 0, "", err
	}
	keep := max(total*m.opts.MinFreePercent/100, m.opts.MinFreeBytes)
	why := fmt.Sprintf("the last %s of the filesystem holding %s stays free (--min-free-space)", formatBytes(keep), file)
	if free <= keep {
		return cur, why, nil
	}
	// The file may come to hold capSize bytes; it holds allocated now.
	capSize := allocated + (free - keep)
	return capSize / unit * unit, why, nil
}

// growLVM grows an LVM pool's data or metadata volume through LVM.
func (m *Monitor) growLVM(w *watchedPool, resource string, pct float64) Result {
	lv, err := lvmThinPool(m.env.lvm(), *w.info.lvm)
	if err != nil {
		return m.fail(w, resource, err)
	}
	cur, maxSize := lv.DataBytes, m.opts.MaxSize
	if resource == ResourceMetadata {
		cur, maxSize = lv.MetaBytes, maxMetadataBytes
	}
	ext := max(lv.ExtentBytes, 1)
	target := growth(cur, ext, w.info.pct)
	limit := ""
	if maxSize != 0 && target > maxSize {
		target = maxSize / ext * ext
		limit = "the maximum size " + formatBytes(maxSize)
	}
	if free := lv.VGFreeBytes / ext * ext; target > cur+free {
		target = cur + free
		limit = fmt.Sprintf("the free space of volume group %s (%s)", lv.Volume.VG, formatBytes(lv.VGFreeBytes))
	}
	if target <= cur {
		return m.limited(w, resource, pct, cur, limit)
	}
	opts := ExtendOptions{DataSize: target}
	if resource == ResourceMetadata {
		opts = ExtendOptions{MetadataSize: target}
	}
	start := m.now()
	var got ExtendResult
	if err := m.withPool(w, func(p *Pool) error {
		var err error
		got, err = p.Extend(opts)
		return err
	}); err != nil {
		return m.fail(w, resource, err)
	}
	to := got.DataSize
	if resource == ResourceMetadata {
		to = got.MetadataSize
	}
	w.lastErr = ""
	msg := fmt.Sprintf("%s was %.1f%% used (threshold %d%%): lvextend grew LVM volume %s's %s from %s to %s",
		resource, pct, w.info.threshold, lv.Volume, resource, formatBytes(cur), formatBytes(to))
	if limit != "" {
		msg += " (the most " + limit + " allows)"
	}
	m.emit(w, MonitorEvent{Action: MonitorExtend, Resource: resource, UsedPercent: pct, From: cur, To: to,
		Took: m.now().Sub(start), Method: "lvextend", Message: msg})
	return Result{}
}

// formatBytes prints a size in binary units, as LVM and dmctl's tables do.
func formatBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.4g %s", f, units[i])
}

// FindPools returns the pool roots the monitor watches for root: root
// itself when it holds a pool, otherwise every pool root among the
// directories below it, up to two levels down, sorted.
func FindPools(root string) ([]string, error) {
	if isPoolRoot(root) {
		return []string{root}, nil
	}
	if _, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("find pools under %s: %w", root, err)
	}
	var out []string
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return // unreadable: nothing to watch there
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			switch {
			case isPoolRoot(p):
				out = append(out, p)
			case depth < 2:
				walk(p, depth+1)
			}
		}
	}
	walk(root, 1)
	sort.Strings(out)
	return out, nil
}

// isPoolRoot reports whether dir holds a pool's state.
func isPoolRoot(dir string) bool {
	for _, f := range []string{poolConfigFileName, deviceSetFileName} {
		if fi, err := os.Lstat(filepath.Join(dir, metadataDirName, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// Watcher is what the monitor waits on between checks: a
// *dmctl.EventWatcher.
type Watcher interface {
	Arm() error
	Wait(timeout time.Duration) (dmctl.WaitResult, error)
}

// Run checks the pools roots returns, then again each time the kernel
// raises an event, and at least every interval (every second while a
// pool is close to the threshold), until stop returns true; stop is
// consulted after every wait, so a Wake of the watcher from a signal
// handler ends Run at once (after an action in progress has finished).
// It re-reads the roots and each pool's facts at every safety-net poll.
func (m *Monitor) Run(w Watcher, roots func() ([]string, error), interval time.Duration, stop func() bool) error {
	if interval <= 0 {
		interval = DefaultMonitorInterval
	}
	list, err := roots()
	if err != nil {
		return err
	}
	m.Started(list)
	armed := true
	if err := w.Arm(); err != nil {
		if !errors.Is(err, dmctl.ErrArmPollUnsupported) {
			return err
		}
		armed = false
	}
	refresh := false
	for {
		res := m.Check(list, refresh)
		wait := interval
		if res.Near {
			wait = monitorNearInterval
		}
		r, err := w.Wait(wait)
		if err != nil {
			return err
		}
		if stop() {
			return nil
		}
		refresh = false
		if r == dmctl.WaitTimeout && wait == interval {
			refresh = true
			if l, err := roots(); err == nil {
				list = l
			}
		}
		if armed {
			if err := w.Arm(); err != nil {
				return err
			}
		}
	}
}
