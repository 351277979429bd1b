//go:build linux

package pool

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

func TestLowWaterFor(t *testing.T) {
	for _, tc := range []struct{ total, threshold, want uint64 }{
		{16384, 80, 3276}, // event once 13108 blocks (80.005%) are used
		{100, 80, 20},
		{10, 95, 1},
		{1000, 100, 1},
		{3, 50, 1},
	} {
		if got := lowWaterFor(tc.total, tc.threshold); got != tc.want {
			t.Errorf("lowWaterFor(%d, %d) = %d, want %d", tc.total, tc.threshold, got, tc.want)
		}
		// The kernel raises its event when free <= mark: that must
		// happen at the threshold, not before.
		used := tc.total - lowWaterFor(tc.total, tc.threshold)
		if tc.threshold < 100 && float64(used)*100/float64(tc.total) < float64(tc.threshold) && tc.total > 10 {
			t.Errorf("lowWaterFor(%d, %d): event at %d used blocks, below the threshold", tc.total, tc.threshold, used)
		}
	}
}

func TestGrowth(t *testing.T) {
	for _, tc := range []struct{ cur, unit, pct, want uint64 }{
		{1 << 30, 64 << 10, 20, 1288503296}, // 1.2 GiB, a multiple of 64 KiB
		{128, 64, 20, 192},                  // at least one unit
		{4 << 20, 4 << 20, 20, 8 << 20},     // LVM extents
	} {
		if got := growth(tc.cur, tc.unit, tc.pct); got != tc.want || got%tc.unit != 0 {
			t.Errorf("growth(%d, %d, %d) = %d, want %d", tc.cur, tc.unit, tc.pct, got, tc.want)
		}
	}
}

func TestMonitorOptionsForPool(t *testing.T) {
	lvm := &DirectLVMConfig{Device: "/dev/xvdf", AutoExtendThreshold: 70, AutoExtendPercent: 30}
	for _, tc := range []struct {
		o         MonitorOptions
		lvm       *DirectLVMConfig
		thr, pctg uint64
	}{
		{MonitorOptions{}, nil, 80, 20},
		{MonitorOptions{}, lvm, 70, 30},
		{MonitorOptions{Threshold: 90}, lvm, 90, 30},
		{MonitorOptions{Threshold: 90, Percent: 10}, nil, 90, 10},
	} {
		thr, pct := tc.o.forPool(tc.lvm)
		if thr != tc.thr || pct != tc.pctg {
			t.Errorf("%+v.forPool(%v) = %d, %d, want %d, %d", tc.o, tc.lvm, thr, pct, tc.thr, tc.pctg)
		}
	}
	if err := (MonitorOptions{Threshold: 101}).Validate(); err == nil {
		t.Errorf("Validate(threshold 101) = nil")
	}
}

func TestFindPools(t *testing.T) {
	top := t.TempDir()
	mk := func(dir, file string) {
		if err := os.MkdirAll(filepath.Join(top, dir, "metadata"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(top, dir, "metadata", file), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mk("a", "dmctl-pool.json")
	mk("b/docker/devicemapper", "deviceset-metadata") // three levels down: too deep
	mk("c/devicemapper", "deviceset-metadata")
	mk("d", "not-state")
	got, err := FindPools(top)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(top, "a"), filepath.Join(top, "c/devicemapper")}
	if !slices.Equal(got, want) {
		t.Errorf("FindPools(top) = %q, want %q", got, want)
	}
	if got, _ := FindPools(filepath.Join(top, "a")); !slices.Equal(got, want[:1]) {
		t.Errorf("FindPools(pool root) = %q, want just it", got)
	}
	if _, err := FindPools(filepath.Join(top, "nosuch")); err == nil {
		t.Errorf("FindPools(missing) = nil error")
	}
}

// monitorEvents collects what a monitor reports.
type monitorEvents struct{ list []MonitorEvent }

func (e *monitorEvents) report(ev MonitorEvent) { e.list = append(e.list, ev) }

func (e *monitorEvents) actions() []string {
	var out []string
	for _, ev := range e.list {
		a := ev.Action
		if ev.Resource != "" {
			a += " " + ev.Resource
		}
		out = append(out, a)
	}
	return out
}

func TestMonitorGrowsLoopPoolData(t *testing.T) {
	k, root, p := newLoopPool(t)
	p.Close()
	name := p.Names().Pool
	tp := k.poolOf(name)
	var ev monitorEvents
	m := NewMonitor(k.env(), MonitorOptions{}, ev.report)

	// Under the threshold: only the low water mark is set.
	tp.usedData = tp.totalData / 2
	if res := m.Check([]string{root}, true); res.Problems != 0 {
		t.Errorf("Check under the threshold: %+v", res)
	}
	_, table, err := readPoolTable(m.env.DM, name)
	if err != nil || table.LowWater != lowWaterFor(tp.totalData, 80) {
		t.Errorf("low water mark %d (%v), want %d", table.LowWater, err, lowWaterFor(tp.totalData, 80))
	}
	if got := ev.actions(); !slices.Equal(got, []string{MonitorLowWater}) {
		t.Errorf("actions = %q, want the low water mark only", got)
	}

	// Over it: the data file grows by 20%, the mark follows.
	ev.list = nil
	before := tp.totalData
	tp.usedData = before * 85 / 100
	if res := m.Check([]string{root}, false); res.Problems != 0 {
		t.Errorf("Check over the threshold: %+v", res)
	}
	if got := ev.actions(); !slices.Equal(got, []string{MonitorExtend + " data"}) {
		t.Fatalf("actions = %q, want one data extend", got)
	}
	e := ev.list[0]
	if e.From != 64*MiB || e.To != growth(64*MiB, 64*KiB, 20) || e.To < 64*MiB*12/10 || e.Method != "loop file" || e.UsedPercent < 84 {
		t.Errorf("extend event = %+v, want 64 MiB grown by 20%% through the loop file", e)
	}
	fi, err := os.Stat(filepath.Join(root, "devicemapper", "data"))
	if err != nil || uint64(fi.Size()) != e.To {
		t.Errorf("data file size %v (%v), want %d", fi.Size(), err, e.To)
	}
	if tp.totalData <= before {
		t.Errorf("pool has %d data blocks after the extend, had %d", tp.totalData, before)
	}
	if _, table, _ := readPoolTable(m.env.DM, name); table.LowWater != lowWaterFor(tp.totalData, 80) {
		t.Errorf("low water mark after the extend = %d, want %d", table.LowWater, lowWaterFor(tp.totalData, 80))
	}

	// A maximum size stops it, said once per crossing.
	ev.list = nil
	m = NewMonitor(k.env(), MonitorOptions{MaxSize: uint64(fi.Size())}, ev.report)
	tp.usedData = tp.totalData * 90 / 100
	for i := 0; i < 3; i++ {
		if res := m.Check([]string{root}, i == 0); res.Problems != 1 {
			t.Errorf("Check at the maximum size: %+v, want one problem", res)
		}
	}
	if got := ev.actions(); !slices.Equal(got, []string{MonitorLimit + " data"}) || !strings.Contains(ev.list[0].Message, "maximum size") {
		t.Errorf("actions = %q (%v), want one limit naming the maximum size", got, ev.list)
	}
	// Below the threshold again, then over: a new crossing, a new line.
	tp.usedData = 0
	m.Check([]string{root}, false)
	tp.usedData = tp.totalData * 90 / 100
	m.Check([]string{root}, false)
	if n := len(ev.list); n != 2 {
		t.Errorf("after a second crossing %d lines, want 2: %q", n, ev.actions())
	}
}

func TestMonitorWarnsBlockDevicePool(t *testing.T) {
	k := newFakeKernel(t)
	meta, data := filepath.Join(t.TempDir(), "meta"), filepath.Join(t.TempDir(), "data")
	for _, f := range []string{meta, data} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(f, 64<<20); err != nil {
			t.Fatal(err)
		}
	}
	k.blockDevs[data], k.blockDevs[meta] = dmctl.MakeDev(8, 16), dmctl.MakeDev(8, 32)
	cfg := testConfig()
	cfg.DataDevice, cfg.MetadataDevice = data, meta
	root := t.TempDir()
	p, err := Create(root, cfg, k.env(), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	var ev monitorEvents
	m := NewMonitor(k.env(), MonitorOptions{}, ev.report)
	tp := k.poolOf(p.Names().Pool)
	tp.usedData = tp.totalData * 95 / 100
	for i := 0; i < 3; i++ {
		if res := m.Check([]string{root}, false); res.Problems != 1 {
			t.Errorf("Check: %+v, want one problem", res)
		}
	}
	if got := ev.actions(); !slices.Equal(got, []string{MonitorWarn + " data", MonitorLowWater}) {
		t.Errorf("actions = %q, want one warning and the low water mark", got)
	}
}

func TestMonitorGrowsLVMPool(t *testing.T) {
	k := newFakeKernel(t)
	name := lvmPool(t, k)
	lvm := &fakeLVM{data: 1 << 30, meta: 8 << 20, free: 100 << 20}
	env := k.env()
	env.LVM = lvm
	cfg := testConfig()
	cfg.ThinPoolDevice = name
	root := t.TempDir()
	p, err := Create(root, cfg, env, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	tableBefore := k.devs[name].live[0].String()
	var ev monitorEvents
	m := NewMonitor(env, MonitorOptions{}, ev.report)
	tp := k.poolOf(name)
	tp.usedData = tp.totalData * 81 / 100
	m.Check([]string{root}, true)
	if got := ev.actions(); !slices.Equal(got, []string{MonitorExtend + " data"}) {
		t.Fatalf("actions = %q, want one data extend", got)
	}
	// 20% of 1 GiB is more than the volume group's 100 MiB: all of it.
	if e := ev.list[0]; e.Method != "lvextend" || e.From != 1<<30 || e.To != 1<<30+100<<20 || !strings.Contains(e.Message, "free space of volume group docker") {
		t.Errorf("extend event = %+v, want lvextend to the volume group's free space", e)
	}
	if got := k.devs[name].live[0].String(); got != tableBefore {
		t.Errorf("the monitor loaded a table into LVM's pool: %q, was %q", got, tableBefore)
	}
	// No free space left: one limit line.
	ev.list = nil
	m.Check([]string{root}, false)
	m.Check([]string{root}, false)
	if got := ev.actions(); !slices.Equal(got, []string{MonitorLimit + " data"}) {
		t.Errorf("actions with a full volume group = %q, want one limit", got)
	}
}

// fakeWatcher is a Watcher that returns results in turn.
type fakeWatcher struct {
	results []dmctl.WaitResult
	arms    int
	waits   []time.Duration
}

func (w *fakeWatcher) Arm() error { w.arms++; return nil }

func (w *fakeWatcher) Wait(d time.Duration) (dmctl.WaitResult, error) {
	w.waits = append(w.waits, d)
	r := w.results[0]
	w.results = w.results[1:]
	return r, nil
}

func TestMonitorRun(t *testing.T) {
	k, root, p := newLoopPool(t)
	p.Close()
	tp := k.poolOf(p.Names().Pool)
	tp.usedData = tp.totalData * 77 / 100 // within 5 points: poll every second
	var ev monitorEvents
	m := NewMonitor(k.env(), MonitorOptions{}, ev.report)
	w := &fakeWatcher{results: []dmctl.WaitResult{dmctl.WaitEvent, dmctl.WaitTimeout, dmctl.WaitWoken}}
	stops := 0
	err := m.Run(w, func() ([]string, error) { return []string{root}, nil }, time.Minute, func() bool {
		stops++
		return stops == 3
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if w.arms != 3 || len(w.waits) != 3 {
		t.Errorf("Run armed %d times and waited %d times, want 3 and 3", w.arms, len(w.waits))
	}
	for _, d := range w.waits {
		if d != time.Second {
			t.Errorf("Run waited %v near the threshold, want 1s", d)
		}
	}
	if got := ev.actions(); len(got) == 0 || got[0] != MonitorStart {
		t.Errorf("actions = %q, want a start first", got)
	}
}
