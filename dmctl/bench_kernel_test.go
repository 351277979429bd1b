//go:build linux

package dmctl_test

// Timings of dmctl's ioctls against the real kernel, and of the same work
// done by two dmsetup invocations, for comparison. TestKernelTimings logs
// per-operation times on every kernel run; the benchmarks give the same
// numbers the standard way:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -run TestKernelTimings -v ./dmctl
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -run '^$' -bench Kernel ./dmctl
//
// Under software emulation only ratios between numbers of one run mean
// anything.

import (
	"fmt"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// snapshotter makes snapshots of thin device 1 of a pool: create_snap,
// then create, load and resume a device for it, either through dmctl or
// through dmsetup.
type snapshotter struct {
	c    *dmctl.Control
	pool thinPool
	p    string
	next int
}

func newSnapshotter(tb testing.TB) *snapshotter {
	c := dmtest.Require(tb, "thin-pool", "thin")
	p := dmtest.Name(tb)
	pool := newThinPool(tb, c, p+"-pool", 256<<20, "1 skip_block_zeroing")
	mustMessage(tb, c, pool.name, "create_thin 1")
	return &snapshotter{c: c, pool: pool, p: p, next: 2}
}

// snapDmctl makes one snapshot device with dmctl and returns its name.
func (s *snapshotter) snapDmctl(tb testing.TB) string {
	id := s.next
	s.next++
	if _, err := s.c.Message(s.pool.name, 0, fmt.Sprintf("create_snap %d 1", id)); err != nil {
		tb.Fatalf("create_snap: %v", err)
	}
	name := fmt.Sprintf("%s-%d", s.p, id)
	if _, err := s.c.CreateDevice(name, "", thinTable(s.pool, id, 2048), false); err != nil {
		tb.Fatalf("CreateDevice(%s) = %v", name, err)
	}
	return name
}

// snapDmsetup makes one snapshot device with two dmsetup invocations.
func (s *snapshotter) snapDmsetup(tb testing.TB) string {
	id := s.next
	s.next++
	dmtest.Dmsetup(tb, "message", s.pool.name, "0", fmt.Sprintf("create_snap %d 1", id))
	name := fmt.Sprintf("%s-%d", s.p, id)
	dmtest.Dmsetup(tb, "create", name, "--table", thinTable(s.pool, id, 2048)[0].String())
	return name
}

// drop removes a snapshot device and deletes its thin id.
func (s *snapshotter) drop(tb testing.TB, name string) {
	if _, err := s.c.Remove(name, dmctl.RemoveOptions{}); err != nil {
		tb.Fatalf("Remove(%s) = %v", name, err)
	}
	var id int
	fmt.Sscanf(name[len(s.p)+1:], "%d", &id)
	if _, err := s.c.Message(s.pool.name, 0, fmt.Sprintf("delete %d", id)); err != nil {
		tb.Fatalf("delete %d: %v", id, err)
	}
}

// TestKernelTimings logs the per-operation time of Version and of a
// snapshot made through dmctl and through dmsetup.
func TestKernelTimings(t *testing.T) {
	s := newSnapshotter(t)
	const versions = 1000
	start := time.Now()
	for range versions {
		if _, err := s.c.Version(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("Version: %v per call", time.Since(start)/versions)

	const snaps = 10
	for _, way := range []struct {
		name string
		snap func(testing.TB) string
	}{{"dmctl", s.snapDmctl}, {"dmsetup", s.snapDmsetup}} {
		var made, dropped time.Duration
		for range snaps {
			start := time.Now()
			name := way.snap(t)
			made += time.Since(start)
			start = time.Now()
			s.drop(t, name)
			dropped += time.Since(start)
		}
		t.Logf("snapshot via %s (create_snap + create + load + resume): %v per snapshot; dmctl remove + delete: %v",
			way.name, made/snaps, dropped/snaps)
	}
}

func BenchmarkKernelVersion(b *testing.B) {
	c := dmtest.Require(b)
	for b.Loop() {
		if _, err := c.Version(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKernelSnapshotDmctl(b *testing.B) {
	benchmarkSnapshot(b, false)
}

func BenchmarkKernelSnapshotDmsetup(b *testing.B) {
	benchmarkSnapshot(b, true)
}

func benchmarkSnapshot(b *testing.B, dmsetup bool) {
	s := newSnapshotter(b)
	snap := s.snapDmctl
	if dmsetup {
		snap = s.snapDmsetup
	}
	b.ResetTimer()
	for range b.N {
		name := snap(b)
		b.StopTimer()
		s.drop(b, name)
		b.StartTimer()
	}
}
