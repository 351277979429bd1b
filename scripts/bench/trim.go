//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// trimBlocks is how many 64 KiB blocks each of the two interleaved
// devices writes: after one is deleted, the pool's free space is that many
// one-block runs among the other's blocks (plus the rest of the 100 GiB).
const trimBlocks = 2048

// trimFigures times dmctl trim (online) against thin_trim (offline, the
// pool deactivated) on two pools made alike: Docker's 100 GiB loop pool
// (discard on delete off, so the deleted device's blocks stay allocated in
// the data file) with fragmented free space.
func (s *suite) trimFigures() error {
	type result struct {
		st        sample
		reclaimed int64
		suspended float64
		runs      int64
	}
	var dm, peer result

	// dmctl trim on a pool of its own.
	root := s.root + "-trim-dmctl"
	env := "DMCTL_ROOT=" + root
	if err := s.fragmentedPool(root); err != nil {
		return err
	}
	data := filepath.Join(root, "devicemapper", "data")
	before, err := allocated(data)
	if err != nil {
		return err
	}
	outFile := filepath.Join(os.TempDir(), "dmctl-trim.json")
	st, err := runSteps(step{args: []string{"dmctl", "--output", "json", "trim"},
		env: []string{env, "DMCTL_BENCH_STDOUT=" + outFile}})
	if err != nil {
		return err
	}
	var rep struct {
		SuspendedMicroseconds int64 `json:"suspended_microseconds"`
		FreeRuns              int64 `json:"free_runs"`
	}
	if err := readJSONFile(outFile, &rep); err != nil {
		return fmt.Errorf("dmctl trim's report: %w", err)
	}
	after, err := allocated(data)
	if err != nil {
		return err
	}
	dm = result{st: st, reclaimed: before - after, suspended: float64(rep.SuspendedMicroseconds) / 1e6, runs: rep.FreeRuns}
	if _, err := runSteps(step{args: []string{"dmctl", "pool", "destroy", "--yes", "--force"}, env: []string{env}}); err != nil {
		return err
	}

	// thin_trim on an identical pool, deactivated, its files on loop devices.
	root = s.root + "-trim-peer"
	env = "DMCTL_ROOT=" + root
	if err := s.fragmentedPool(root); err != nil {
		return err
	}
	data = filepath.Join(root, "devicemapper", "data")
	meta := filepath.Join(root, "devicemapper", "metadata")
	if _, err := runSteps(step{args: []string{"dmctl", "pool", "deactivate"}, env: []string{env}}); err != nil {
		return err
	}
	loops := map[string]string{}
	for _, f := range []string{data, meta} {
		out, err := output(cmd("losetup", "-f", "--show", f))
		if err != nil {
			return err
		}
		loops[f] = strings.TrimSpace(out)
	}
	before, err = allocated(data)
	if err != nil {
		return err
	}
	st, err = runSteps(cmd("thin_trim", "--metadata-dev", loops[meta], "--data-dev", loops[data]))
	if err != nil {
		return err
	}
	after, err = allocated(data)
	if err != nil {
		return err
	}
	peer = result{st: st, reclaimed: before - after}
	for _, l := range loops {
		runSteps(cmd("losetup", "-d", l))
	}
	if _, err := runSteps(step{args: []string{"dmctl", "pool", "destroy", "--yes", "--force"}, env: []string{env}}); err != nil {
		s.logf("trim: destroying the thin_trim pool: %v", err)
	}

	dmStat := &Stat{Seconds: dm.st.wall.Seconds(), MaxRSSKB: dm.st.maxRSSKB, Reps: 1}
	peerStat := &Stat{Seconds: peer.st.wall.Seconds(), MaxRSSKB: peer.st.maxRSSKB, Reps: 1}
	s.figure(Figure{ID: "trim/fragmented", Group: "trim",
		Name:  fmt.Sprintf("trim, 100 GiB pool, %d free runs", dm.runs),
		Dmctl: dmStat, Peer: peerStat,
		DmctlCmd: "dmctl trim (online)", PeerCmd: "thin_trim --metadata-dev LOOP --data-dev LOOP (pool deactivated)",
		Extra: map[string]float64{"suspended_s": dm.suspended, "reclaimed_bytes": float64(dm.reclaimed),
			"peer_reclaimed_bytes": float64(peer.reclaimed)},
		Note: fmt.Sprintf("dmctl trim reclaimed %.1f MiB with the pool suspended %.3f s; thin_trim reclaimed %.1f MiB "+
			"with the pool down for its whole run (deactivating and reactivating it not counted).",
			float64(dm.reclaimed)/(1<<20), dm.suspended, float64(peer.reclaimed)/(1<<20))})
	return nil
}

// fragmentedPool makes a pool under root whose free space is fragmented:
// two thin devices written block by block in turn, then one deleted.
func (s *suite) fragmentedPool(root string) error {
	env := []string{"DMCTL_ROOT=" + root}
	os.RemoveAll(root)
	steps := []step{
		{args: []string{"dmctl", "pool", "create", "--storage-opt", "dm.blkdiscard=false"}, env: env},
		{args: []string{"dmctl", "snapshot", "create", "frag-a"}, env: env},
		{args: []string{"dmctl", "snapshot", "create", "frag-b"}, env: env},
		{args: []string{"dmctl", "activate", "frag-a"}, env: env},
		{args: []string{"dmctl", "activate", "frag-b"}, env: env},
	}
	if _, err := runSteps(steps...); err != nil {
		return err
	}
	var rec struct {
		Prefix   string `json:"prefix"`
		PoolName string `json:"pool_name"`
	}
	if err := readJSONFile(filepath.Join(root, "metadata", "dmctl-pool.json"), &rec); err != nil {
		return err
	}
	prefix := strings.TrimSuffix(rec.PoolName, "pool")
	a, err := os.OpenFile("/dev/mapper/"+prefix+"frag-a", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := os.OpenFile("/dev/mapper/"+prefix+"frag-b", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer b.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i) | 1
	}
	const at = 1 << 30 // past the filesystem's own blocks
	for i := range int64(trimBlocks) {
		for _, f := range []*os.File{a, b} {
			if _, err := f.WriteAt(buf, at+i*int64(len(buf))); err != nil {
				return err
			}
			// Each block reaches the pool before the next is written, so
			// the two devices' blocks alternate in the data space.
			if err := f.Sync(); err != nil {
				return err
			}
		}
	}
	a.Close()
	b.Close()
	steps = []step{
		{args: []string{"dmctl", "deactivate", "frag-a"}, env: env},
		{args: []string{"dmctl", "deactivate", "frag-b"}, env: env},
		{args: []string{"dmctl", "snapshot", "rm", "frag-b"}, env: env},
	}
	_, err = runSteps(steps...)
	return err
}

// allocated returns the bytes a file really uses (st_blocks).
func allocated(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no block count", path)
	}
	return st.Blocks * 512, nil
}
