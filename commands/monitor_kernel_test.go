//go:build linux

package commands_test

// Kernel tests of dmctl pool monitor: pools that would fill up are grown
// in time, from the kernel's events, by the monitor running as its own
// process, as an admin or systemd runs it.
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run Monitor ./commands

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// monitorLine is one JSON line of pool monitor --output json.
type monitorLine struct {
	Time        string   `json:"time"`
	Action      string   `json:"action"`
	Root        *string  `json:"root"`
	Pool        *string  `json:"pool_name"`
	Resource    *string  `json:"resource"`
	UsedPercent *float64 `json:"used_percent"`
	Threshold   *uint64  `json:"threshold_percent"`
	FromBytes   *uint64  `json:"from_bytes"`
	ToBytes     *uint64  `json:"to_bytes"`
	LowWater    *uint64  `json:"low_water_mark_blocks"`
	DurationMS  *int64   `json:"duration_milliseconds"`
	Method      *string  `json:"method"`
	Message     string   `json:"message"`
}

// syncBuffer is a bytes.Buffer safe for one writer and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// monitorProc is a pool monitor running as its own process.
type monitorProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan error
}

// startMonitor starts dmctl pool monitor --output json with args on the
// fixture's root and waits until it watches the pool. It is stopped with
// SIGKILL when the test ends, if still running.
func (f *poolFixture) startMonitor(args ...string) *monitorProc {
	f.t.Helper()
	m := &monitorProc{t: f.t, done: make(chan error, 1)}
	m.cmd = exec.Command(os.Args[0], f.args(append([]string{"--output", "json", "pool", "monitor"}, args...)...)...)
	m.cmd.Env = append(os.Environ(), mainEnv+"=1")
	m.cmd.Stdout, m.cmd.Stderr = &m.stdout, &m.stderr
	if err := m.cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() { m.done <- m.cmd.Wait() }()
	f.t.Cleanup(func() {
		select {
		case <-m.done:
		default:
			m.cmd.Process.Kill()
			<-m.done
		}
	})
	m.waitFor("start", func(l monitorLine) bool { return l.Action == "start" })
	return m
}

// lines returns the JSON lines the monitor printed so far, failing the
// test on a line that is not JSON.
func (m *monitorProc) lines() []monitorLine {
	m.t.Helper()
	var out []monitorLine
	sc := bufio.NewScanner(strings.NewReader(m.stderr.String()))
	for sc.Scan() {
		var l monitorLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			m.t.Fatalf("pool monitor printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// waitFor waits up to two minutes for a line matching cond.
func (m *monitorProc) waitFor(what string, cond func(monitorLine) bool) monitorLine {
	m.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, l := range m.lines() {
			if cond(l) {
				return l
			}
		}
		select {
		case err := <-m.done:
			m.done <- err
			m.t.Fatalf("pool monitor exited (%v) before printing %s; stderr:\n%s", err, what, m.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	m.t.Fatalf("pool monitor printed no %s line in 2 minutes; stderr:\n%s", what, m.stderr.String())
	return monitorLine{}
}

// stop sends SIGTERM and checks that the monitor stops cleanly: exit 0,
// a last stop line, nothing on standard output.
func (m *monitorProc) stop() []monitorLine {
	m.t.Helper()
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		m.t.Fatal(err)
	}
	select {
	case err := <-m.done:
		m.done <- err
		if err != nil {
			m.t.Errorf("pool monitor after SIGTERM: %v, want exit 0; stderr:\n%s", err, m.stderr.String())
		}
	case <-time.After(time.Minute):
		m.t.Fatalf("pool monitor did not stop within a minute of SIGTERM")
	}
	lines := m.lines()
	if len(lines) == 0 || lines[len(lines)-1].Action != "stop" {
		m.t.Errorf("pool monitor's last line is not a stop line:\n%s", m.stderr.String())
	}
	if out := m.stdout.String(); out != "" {
		m.t.Errorf("pool monitor wrote to standard output: %q", out)
	}
	return lines
}

// extends returns the extend lines for a resource.
func extends(lines []monitorLine, resource string) []monitorLine {
	var out []monitorLine
	for _, l := range lines {
		if l.Action == "extend" && l.Resource != nil && *l.Resource == resource {
			out = append(out, l)
		}
	}
	return out
}

// poolState is a pool's status as dmsetup reports it.
type poolState struct {
	mode                 string
	usedData, totalData  uint64
	usedMeta, totalMeta  uint64
	transactionID        uint64
	status, errorReading string
}

// readPoolState reads a pool's status with dmsetup (safe to call from
// any goroutine).
func readPoolState(name string) poolState {
	out, err := dmtest.RunDmsetup("status", name)
	if err != nil {
		return poolState{errorReading: err.Error()}
	}
	f := strings.Fields(out)
	st := poolState{status: strings.TrimSpace(out)}
	if len(f) < 9 || f[2] != "thin-pool" {
		st.errorReading = "not a thin pool: " + out
		return st
	}
	st.transactionID, _ = strconv.ParseUint(f[3], 10, 64)
	fmt.Sscanf(f[4], "%d/%d", &st.usedMeta, &st.totalMeta)
	fmt.Sscanf(f[5], "%d/%d", &st.usedData, &st.totalData)
	st.mode = f[7]
	return st
}

// writer is a dd writing into a device or file.
type writer struct {
	finished chan struct{} // closed when dd has exited
	err      error         // its result, once finished
	out      syncBuffer
}

// wait waits up to timeout for the writer and returns whether it finished.
func (w *writer) wait(timeout time.Duration) bool {
	select {
	case <-w.finished:
		return true
	case <-time.After(timeout):
		return false
	}
}

// startWriter writes size bytes of zeros to path with dd (O_DIRECT, 4 MiB
// blocks, fsync at the end); it is killed when the test ends, if still
// running.
func startWriter(t *testing.T, path string, size int64) *writer {
	t.Helper()
	w := &writer{finished: make(chan struct{})}
	cmd := exec.Command(requireTool(t, "dd"), "if=/dev/zero", "of="+path, "bs=4M",
		"count="+strconv.FormatInt(size/(4<<20), 10), "oflag=direct", "conv=fsync")
	cmd.Stdout, cmd.Stderr = &w.out, &w.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		w.err = cmd.Wait()
		close(w.finished)
	}()
	t.Cleanup(func() {
		if !w.wait(0) {
			cmd.Process.Kill()
			<-w.finished
		}
	})
	return w
}

// fileSize returns a file's length.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// samplePoolModes records the modes a pool goes through until stop is
// closed.
func samplePoolModes(name string, stop chan struct{}) func() map[string]int {
	var mu sync.Mutex
	modes := map[string]int{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			st := readPoolState(name)
			mu.Lock()
			if st.errorReading != "" {
				modes["error: "+st.errorReading]++
			} else {
				modes[st.mode]++
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return func() map[string]int {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return modes
	}
}

// loopMonitorPool makes a 1 GiB loop pool (direct I/O on its loop devices)
// with a 2 GiB thin device mounted, and returns its name and the mount
// point.
func loopMonitorPool(f *poolFixture) (poolName, mnt string) {
	f.t.Helper()
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "64M", "--base-size", "2G", "--fs", "ext4", "--direct-io")
	run(f.t, f.args("snapshot", "create", "c")...) // warns that the device is larger than the pool
	return f.poolName(), strings.TrimSpace(f.must("mount", "c"))
}

// setNoSpaceTimeout sets how long a full pool queues writes before failing
// them (dm-thin's no_space_timeout, 60 s by default) for the test: the
// guest is emulated, and a slow start of the monitor must not turn a
// stall into I/O errors.
func setNoSpaceTimeout(t *testing.T, seconds int) {
	t.Helper()
	const p = "/sys/module/dm_thin_pool/parameters/no_space_timeout"
	old, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("no_space_timeout: %v", err)
	}
	if err := os.WriteFile(p, []byte(strconv.Itoa(seconds)), 0o644); err != nil {
		t.Fatalf("no_space_timeout: %v", err)
	}
	t.Cleanup(func() { os.WriteFile(p, bytes.TrimSpace(old), 0o644) })
}

// TestMonitorGrowsLoopPool writes 1.5 GiB through a filesystem into a
// 1 GiB loop pool while pool monitor runs: the write sees no I/O error,
// the pool never leaves read-write mode, the monitor grows the data file
// from the kernel's low water mark events, and SIGTERM stops it cleanly.
func TestMonitorGrowsLoopPool(t *testing.T) {
	f := newPoolFixture(t)
	name, mnt := loopMonitorPool(f)
	dataFile := filepath.Join(f.root, "devicemapper", "data")
	m := f.startMonitor("--interval", "30s")
	lwm := m.waitFor("low-water-mark", func(l monitorLine) bool { return l.Action == "low-water-mark" })
	if lwm.LowWater == nil || *lwm.LowWater != 16384-13108 {
		t.Errorf("low water mark set to %v, want %d blocks (80%% of 16384 used)", lwm.LowWater, 16384-13108)
	}
	if table, _ := poolTableStatus(t, name); !strings.Contains(table, " 128 3276 ") {
		t.Errorf("pool table %q, want low water mark 3276", table)
	}

	stop := make(chan struct{})
	modes := samplePoolModes(name, stop)
	w := startWriter(t, filepath.Join(mnt, "big"), 1536<<20)
	if !w.wait(10 * time.Minute) {
		t.Fatalf("the write did not finish in 10 minutes; monitor:\n%s", m.stderr.String())
	}
	close(stop)
	if w.err != nil {
		t.Errorf("writing 1.5 GiB: %v: %s", w.err, w.out.String())
	}
	seen := modes()
	if len(seen) != 1 || seen["rw"] == 0 {
		t.Errorf("pool modes seen during the write: %v, want rw only", seen)
	}
	lines := m.stop()
	ext := extends(lines, "data")
	if len(ext) == 0 {
		t.Fatalf("pool monitor grew no data:\n%s", m.stderr.String())
	}
	for _, l := range ext {
		if l.FromBytes == nil || l.ToBytes == nil || *l.ToBytes <= *l.FromBytes || l.UsedPercent == nil || *l.UsedPercent < 80 ||
			l.DurationMS == nil || l.Method == nil || *l.Method != "loop file" || l.Pool == nil || *l.Pool != name {
			t.Errorf("extend line %+v: want from < to, use >= 80%%, a duration, method loop file, pool %s", l, name)
		}
	}
	if size := fileSize(t, dataFile); size <= 1<<30 || uint64(size) != *ext[len(ext)-1].ToBytes {
		t.Errorf("data file is %d bytes after the write, want more than 1 GiB and the last extend's %d", size, *ext[len(ext)-1].ToBytes)
	}
	if st := readPoolState(name); st.mode != "rw" || st.totalData*65536 != uint64(fileSize(t, dataFile)) {
		t.Errorf("pool after the write: %+v, want rw with the data file's size", st)
	}
	f.must("umount", "c")
}

// TestMonitorUnsticksFullPool fills a 1 GiB loop pool without the monitor:
// the write stalls (out_of_data_space) instead of failing; starting pool
// monitor then grows the pool and the write finishes without an error.
func TestMonitorUnsticksFullPool(t *testing.T) {
	f := newPoolFixture(t)
	setNoSpaceTimeout(t, 600)
	name, mnt := loopMonitorPool(f)
	w := startWriter(t, filepath.Join(mnt, "big"), 1536<<20)
	deadline := time.Now().Add(5 * time.Minute)
	for readPoolState(name).mode != "out_of_data_space" {
		if w.wait(250 * time.Millisecond) {
			t.Fatalf("the write ended (%v: %s) before the pool ran out of space: %+v", w.err, w.out.String(), readPoolState(name))
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool did not run out of space in 5 minutes: %+v", readPoolState(name))
		}
	}
	// Stalled: no progress, no failure.
	if w.wait(2 * time.Second) {
		t.Fatalf("the write ended (%v: %s) while the pool was full, want it to wait", w.err, w.out.String())
	}
	if st := readPoolState(name); st.mode != "out_of_data_space" || st.usedData != st.totalData {
		t.Fatalf("stalled pool: %+v, want out_of_data_space with every block used", st)
	}
	m := f.startMonitor("--interval", "30s")
	if !w.wait(10 * time.Minute) {
		t.Fatalf("the write did not finish in 10 minutes after the monitor started; monitor:\n%s", m.stderr.String())
	}
	if w.err != nil {
		t.Errorf("the write after the monitor started: %v: %s", w.err, w.out.String())
	}
	lines := m.stop()
	if len(extends(lines, "data")) == 0 {
		t.Errorf("pool monitor grew no data:\n%s", m.stderr.String())
	}
	if st := readPoolState(name); st.mode != "rw" {
		t.Errorf("pool after the monitor: %+v, want rw", st)
	}
	if size := fileSize(t, filepath.Join(f.root, "devicemapper", "data")); size <= 1<<30 {
		t.Errorf("data file is %d bytes, want it grown past 1 GiB", size)
	}
	f.must("umount", "c")
}

// scatterWrite writes one 4 KiB block at each of n data blocks of a thin
// device, stride blocks of 64 KiB apart, starting at block first, so
// that each write maps (or unshares) a block in a different part of the
// device's mapping tree.
func scatterWrite(t *testing.T, dev string, first, n, stride int64) {
	t.Helper()
	fd, err := os.OpenFile(dev, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	buf := bytes.Repeat([]byte{0x5a}, 4096)
	for i := int64(0); i < n; i++ {
		if _, err := fd.WriteAt(buf, (first+i*stride)*65536); err != nil {
			t.Fatalf("write %s: %v", dev, err)
		}
	}
	if err := fd.Sync(); err != nil {
		t.Fatalf("write %s: %v", dev, err)
	}
}

// TestMonitorGrowsMetadata fills a 2 MiB metadata file with many
// snapshots, each with blocks of its own: the monitor grows the metadata
// file before it fills, the pool stays read-write, and it ends up using
// more metadata than the original file held.
func TestMonitorGrowsMetadata(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "2G", "--metadata-size", "2M", "--base-size", "64M", "--fs", "ext4")
	name := f.poolName()
	metaFile := filepath.Join(f.root, "devicemapper", "metadata")
	// The origin maps 8192 blocks: some 40 leaves of mapping tree.
	run(t, f.args("snapshot", "create", "origin", "--size", "1G")...) // warns: larger than its origin's filesystem
	f.must("activate", "origin")
	prefix := strings.TrimSuffix(name, "-pool")
	scatterWrite(t, "/dev/mapper/"+prefix+"-origin", 0, 8192, 1)
	m := f.startMonitor("--interval", "30s")
	for i := 0; ; i++ {
		st := readPoolState(name)
		if st.mode != "rw" {
			t.Fatalf("after %d snapshots the pool is %+v, want rw", i, st)
		}
		if st.usedMeta > 512 {
			break // more than the original 2 MiB could hold
		}
		if i == 60 {
			t.Fatalf("after 60 snapshots the pool uses %d metadata blocks of %d", st.usedMeta, st.totalMeta)
		}
		id := fmt.Sprintf("s%d", i)
		f.must("snapshot", "create", id, "--origin", "origin")
		f.must("activate", id)
		// A block in every leaf of the origin's tree: each is copied.
		scatterWrite(t, "/dev/mapper/"+prefix+"-"+id, int64(i%200), 40, 200)
		f.must("deactivate", id)
	}
	lines := m.stop()
	if len(extends(lines, "metadata")) == 0 {
		t.Errorf("pool monitor grew no metadata:\n%s", m.stderr.String())
	}
	if size := fileSize(t, metaFile); size <= 2<<20 {
		t.Errorf("metadata file is %d bytes, want it grown past 2 MiB", size)
	}
	f.must("pool", "deactivate")
	oracle(t, "thin_check", metaFile)
}

// TestMonitorGrowsLVMPool fills an adopted LVM thin pool past the
// threshold: the monitor grows its data volume through lvextend (LVM
// reloads its own table), and the pool stays read-write.
func TestMonitorGrowsLVMPool(t *testing.T) {
	disk := spareDisk(t)
	lvmRun(t, "pvcreate", disk)
	lvmRun(t, "vgcreate", "docker", disk)
	lvmRun(t, "lvcreate", "--wipesignatures", "y", "-n", "thinpool", "docker", "-L", "512M")
	lvmRun(t, "lvcreate", "--wipesignatures", "y", "-n", "thinpoolmeta", "docker", "-L", "8M")
	lvmRun(t, "lvconvert", "-y", "--zero", "n", "-c", "512K", "--thinpool", "docker/thinpool", "--poolmetadata", "docker/thinpoolmeta")
	f := newPoolFixture(t)
	f.must("pool", "create", "--thinpooldev", "/dev/docker/thinpool", "--base-size", "500M", "--fs", "ext4")
	data, _ := lvSizes(t, "docker/thinpool")
	run(t, f.args("snapshot", "create", "c")...)
	f.must("activate", "c")
	m := f.startMonitor("--interval", "2s")
	prefix := strings.TrimSuffix(f.snapshots()[0].Name, "-"+f.snapshots()[0].ID)
	w := startWriter(t, "/dev/mapper/"+prefix+"-c", 480<<20)
	if !w.wait(10 * time.Minute) {
		t.Fatalf("the write did not finish in 10 minutes")
	}
	if w.err != nil {
		t.Errorf("writing 480 MiB: %v: %s", w.err, w.out.String())
	}
	m.waitFor("a data extend", func(l monitorLine) bool {
		return l.Action == "extend" && l.Resource != nil && *l.Resource == "data"
	})
	lines := m.stop()
	ext := extends(lines, "data")
	if len(ext) == 0 || ext[0].Method == nil || *ext[0].Method != "lvextend" {
		t.Fatalf("pool monitor did not grow the LVM pool with lvextend:\n%s", m.stderr.String())
	}
	if grown, _ := lvSizes(t, "docker/thinpool"); grown <= data {
		t.Errorf("LVM data volume is %d bytes, was %d: want it grown", grown, data)
	}
	if st := readPoolState("docker-thinpool"); st.mode != "rw" {
		t.Errorf("LVM pool after the monitor: %+v, want rw", st)
	}
	f.must("deactivate", "c")
}

// TestMonitorBlockDevicePool fills a pool on block devices past the
// threshold: it cannot grow, so the monitor warns once for the crossing,
// and --once exits 1.
func TestMonitorBlockDevicePool(t *testing.T) {
	f := newPoolFixture(t)
	data := dmtest.LoopFile(t, 256<<20)
	meta := dmtest.LoopFile(t, 16<<20)
	f.must("pool", "create", "--data-dev", data.Path, "--metadata-dev", meta.Path, "--base-size", "256M", "--fs", "ext4")
	f.must("snapshot", "create", "c")
	f.must("activate", "c")
	m := f.startMonitor("--interval", "2s")
	prefix := strings.TrimSuffix(f.poolName(), "-pool")
	if w := startWriter(t, "/dev/mapper/"+prefix+"-c", 216<<20); !w.wait(10*time.Minute) || w.err != nil {
		t.Fatalf("writing 216 MiB: %v: %s", w.err, w.out.String())
	}
	m.waitFor("a warning", func(l monitorLine) bool { return l.Action == "warn" })
	time.Sleep(3 * time.Second) // more polls: still one warning
	lines := m.stop()
	warns := 0
	for _, l := range lines {
		if l.Action == "warn" {
			warns++
		}
		if l.Action == "extend" {
			t.Errorf("pool monitor extended a pool on block devices: %+v", l)
		}
	}
	if warns != 1 {
		t.Errorf("pool monitor warned %d times, want once:\n%s", warns, m.stderr.String())
	}
	_, errOut, code := f.try("pool", "monitor", "--once")
	if code != 1 || !strings.Contains(errOut, "cannot grow") {
		t.Errorf("pool monitor --once over the threshold = exit %d, stderr %q; want 1 and the warning", code, errOut)
	}
	f.must("deactivate", "c")
}

// TestMonitorOnce grows a loop pool over the threshold with --once (for
// cron and CI), refuses to grow past --max-size or into --min-free-space
// with one line saying so (running, once for the crossing), and exits 0
// once nothing is over the threshold.
func TestMonitorOnce(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "256M", "--metadata-size", "16M", "--base-size", "256M", "--fs", "ext4", "--direct-io")
	f.must("snapshot", "create", "c")
	f.must("activate", "c")
	prefix := strings.TrimSuffix(f.poolName(), "-pool")
	if w := startWriter(t, "/dev/mapper/"+prefix+"-c", 216<<20); !w.wait(10*time.Minute) || w.err != nil {
		t.Fatalf("writing 216 MiB: %v: %s", w.err, w.out.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-size", "256M"}, "maximum size"},
		{[]string{"--min-free-space", "100T"}, "stays free"},
	} {
		_, errOut, code := f.try(append([]string{"pool", "monitor", "--once"}, tc.args...)...)
		if code != 1 || strings.Count(errOut, tc.want) != 1 {
			t.Errorf("pool monitor --once %v = exit %d, stderr %q; want 1 and %q once", tc.args, code, errOut, tc.want)
		}
		// Running, it says so once for the crossing, grows nothing and
		// goes on watching.
		m := f.startMonitor(append([]string{"--interval", "1s"}, tc.args...)...)
		m.waitFor("a limit", func(l monitorLine) bool { return l.Action == "limit" })
		time.Sleep(3 * time.Second) // three polls more: still one line
		limits := 0
		for _, l := range m.stop() {
			switch l.Action {
			case "limit":
				limits++
				if l.Resource == nil || *l.Resource != "data" || !strings.Contains(l.Message, tc.want) ||
					l.FromBytes == nil || l.ToBytes == nil || *l.FromBytes != 256<<20 || *l.ToBytes != 256<<20 {
					t.Errorf("pool monitor %v: limit line %+v, want data at 256 MiB and %q", tc.args, l, tc.want)
				}
			case "extend", "error":
				t.Errorf("pool monitor %v: %s line %+v, want none", tc.args, l.Action, l)
			}
		}
		if limits != 1 {
			t.Errorf("pool monitor %v said %d times that it stops growing, want once:\n%s", tc.args, limits, m.stderr.String())
		}
	}
	if size := fileSize(t, filepath.Join(f.root, "devicemapper", "data")); size != 256<<20 {
		t.Errorf("data file is %d bytes after refused growth, want 256 MiB", size)
	}
	_, errOut, code := f.try("pool", "monitor", "--once")
	if code != 0 || !strings.Contains(errOut, "grew the data file") {
		t.Errorf("pool monitor --once = exit %d, stderr %q; want 0 and a grown data file", code, errOut)
	}
	if size := fileSize(t, filepath.Join(f.root, "devicemapper", "data")); size <= 256<<20 {
		t.Errorf("data file is %d bytes after pool monitor --once, want it grown", size)
	}
	if _, errOut, code := f.try("pool", "monitor", "--once"); code != 0 || errOut != "" {
		t.Errorf("pool monitor --once under the threshold = exit %d, stderr %q; want 0 and nothing", code, errOut)
	}
	f.must("deactivate", "c")
}

// TestMonitorGrowsLVMMetadata grows an adopted LVM thin pool's metadata
// volume through lvextend: pool monitor --once with the threshold just
// under the pool's metadata use.
func TestMonitorGrowsLVMMetadata(t *testing.T) {
	disk := spareDisk(t)
	lvmRun(t, "pvcreate", disk)
	lvmRun(t, "vgcreate", "docker", disk)
	lvmRun(t, "lvcreate", "--wipesignatures", "y", "-n", "thinpool", "docker", "-L", "256M")
	lvmRun(t, "lvcreate", "--wipesignatures", "y", "-n", "thinpoolmeta", "docker", "-L", "4M")
	lvmRun(t, "lvconvert", "-y", "--zero", "n", "-c", "512K", "--thinpool", "docker/thinpool", "--poolmetadata", "docker/thinpoolmeta")
	f := newPoolFixture(t)
	f.must("pool", "create", "--thinpooldev", "docker-thinpool", "--base-size", "64M", "--fs", "ext4")
	_, meta := lvSizes(t, "docker/thinpool")
	st := readPoolState("docker-thinpool")
	if st.totalMeta == 0 {
		t.Fatalf("LVM pool status: %+v", st)
	}
	usePct := st.usedMeta * 100 / st.totalMeta
	if usePct < 1 {
		t.Fatalf("LVM pool uses %d of %d metadata blocks: under 1%%, the lowest threshold", st.usedMeta, st.totalMeta)
	}
	threshold := strconv.FormatUint(usePct, 10)
	_, errOut, code := f.try("--output", "json", "pool", "monitor", "--once", "--threshold", threshold)
	if code != 0 {
		t.Fatalf("pool monitor --once --threshold %s = exit %d, stderr:\n%s", threshold, code, errOut)
	}
	var ext *monitorLine
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var l monitorLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("pool monitor printed a line that is not JSON: %q: %v", line, err)
		}
		if l.Action == "extend" && l.Resource != nil && *l.Resource == "metadata" {
			ext = &l
		}
	}
	if ext == nil || ext.Method == nil || *ext.Method != "lvextend" || ext.FromBytes == nil || *ext.FromBytes != meta ||
		ext.ToBytes == nil || *ext.ToBytes <= meta {
		t.Fatalf("pool monitor --once did not grow the metadata volume from %d bytes with lvextend:\n%s", meta, errOut)
	}
	if _, grown := lvSizes(t, "docker/thinpool"); grown != *ext.ToBytes {
		t.Errorf("LVM metadata volume is %d bytes, the monitor said %d", grown, *ext.ToBytes)
	}
	if st := readPoolState("docker-thinpool"); st.mode != "rw" || st.totalMeta*4096 != *ext.ToBytes {
		t.Errorf("LVM pool after the metadata extend: %+v, want rw with %d bytes of metadata", st, *ext.ToBytes)
	}
	// The pool still works, and LVM takes it down and up again with the
	// metadata volume it now records.
	f.must("snapshot", "create", "c")
	f.must("snapshot", "rm", "c")
	f.must("pool", "destroy", "--yes")
	lvmRun(t, "vgchange", "-an", "docker")
	lvmRun(t, "vgchange", "-ay", "docker")
	if st := readPoolState("docker-thinpool"); st.mode != "rw" || st.totalMeta*4096 != *ext.ToBytes {
		t.Errorf("LVM pool after vgchange -an, -ay: %+v, want rw with %d bytes of metadata", st, *ext.ToBytes)
	}
}

// monitorOnceJSON runs pool monitor --once --output json with args and
// returns its exit code and lines.
func (f *poolFixture) monitorOnceJSON(args ...string) (int, []monitorLine) {
	f.t.Helper()
	_, errOut, code := f.try(append([]string{"--output", "json", "pool", "monitor", "--once"}, args...)...)
	var lines []monitorLine
	sc := bufio.NewScanner(strings.NewReader(errOut))
	for sc.Scan() {
		var l monitorLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			if code != 0 && strings.HasPrefix(sc.Text(), "dmctl: ") {
				continue // the exit status's own line
			}
			f.t.Fatalf("pool monitor printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return code, lines
}

// TestMonitorDirectLVMSettings grows a direct-lvm pool by the autoextend
// settings it was set up with (dm.thinp_autoextend_threshold and
// dm.thinp_autoextend_percent), through lvextend; the monitor's own
// --storage-opt and flags override them.
func TestMonitorDirectLVMSettings(t *testing.T) {
	disk := spareDisk(t)
	f := newPoolFixture(t)
	f.must("pool", "create", "--base-size", "128M", "--fs", "ext4", "--directlvm-device", disk,
		"--thinp-percent", "50", "--thinp-metapercent", "1", "--storage-opt", "dm.thinp_autoextend_threshold=3",
		"--storage-opt", "dm.thinp_autoextend_percent=5")
	f.must("snapshot", "create", "c")
	f.must("activate", "c")
	prefix := strings.TrimSuffix(f.snapshots()[0].Name, "-"+f.snapshots()[0].ID)
	if w := startWriter(t, "/dev/mapper/"+prefix+"-c", 96<<20); !w.wait(10*time.Minute) || w.err != nil {
		t.Fatalf("writing 96 MiB: %v: %s", w.err, w.out.String())
	}
	f.must("deactivate", "c")
	st := readPoolState("docker-thinpool")
	if st.totalData == 0 || st.usedData*100 < 3*st.totalData {
		t.Fatalf("direct-lvm pool after the write: %+v, want 3%% or more of its data used", st)
	}
	data, _ := lvSizes(t, "docker/thinpool")

	// Over 3% but under 50%: the monitor's settings decide.
	for _, args := range [][]string{
		{"--threshold", "50"},
		{"--storage-opt", "dm.thinp_autoextend_threshold=50"},
	} {
		if code, lines := f.monitorOnceJSON(args...); code != 0 || len(lines) != 0 {
			t.Errorf("pool monitor --once %v = exit %d, lines %+v; want 0 and nothing", args, code, lines)
		}
	}
	if grown, _ := lvSizes(t, "docker/thinpool"); grown != data {
		t.Fatalf("LVM data volume is %d bytes, was %d: grown under the monitor's threshold", grown, data)
	}

	// Without them, the pool's own: 3% reached (data, and the metadata
	// LVM made, some 10% used from the start), grow by 5% (a whole extent
	// at least).
	_, meta := lvSizes(t, "docker/thinpool")
	code, lines := f.monitorOnceJSON()
	if code != 0 {
		t.Fatalf("pool monitor --once = exit %d, lines %+v; want 0", code, lines)
	}
	want := map[string]uint64{"data": data, "metadata": meta}
	extent := uint64(4 << 20) // LVM's default extent
	for _, l := range lines {
		if l.Action != "extend" || l.Resource == nil {
			t.Errorf("pool monitor --once: line %+v, want extends only", l)
			continue
		}
		from, ok := want[*l.Resource]
		delete(want, *l.Resource)
		if !ok || l.Method == nil || *l.Method != "lvextend" || l.Threshold == nil || *l.Threshold != 3 ||
			l.FromBytes == nil || *l.FromBytes != from || l.ToBytes == nil ||
			*l.ToBytes < from+from*5/100 || *l.ToBytes > max(from+from*5/100, from+extent)+extent {
			t.Errorf("extend line %+v: want %s grown with lvextend by 5%% of %d bytes at threshold 3", l, *l.Resource, from)
		}
		if grownData, grownMeta := lvSizes(t, "docker/thinpool"); ok && l.ToBytes != nil &&
			map[string]uint64{"data": grownData, "metadata": grownMeta}[*l.Resource] != *l.ToBytes {
			t.Errorf("LVM volume's %s is %d bytes / %d bytes, the monitor said %d", *l.Resource, grownData, grownMeta, *l.ToBytes)
		}
	}
	if len(want) != 0 {
		t.Errorf("pool monitor --once did not grow %v: %+v", want, lines)
	}
	if st := readPoolState("docker-thinpool"); st.mode != "rw" {
		t.Errorf("direct-lvm pool after the monitor: %+v, want rw", st)
	}
}

// TestMonitorEveryPoolUnderRoot watches every pool root below --root
// when --root itself holds none: two loop pools over the threshold are
// both grown by one pool monitor --once.
func TestMonitorEveryPoolUnderRoot(t *testing.T) {
	var pools []*poolFixture
	for i := 0; i < 2; i++ {
		f := newPoolFixture(t)
		f.must("pool", "create", "--data-size", "256M", "--metadata-size", "16M", "--base-size", "256M", "--fs", "ext4", "--direct-io")
		f.must("snapshot", "create", "c")
		f.must("activate", "c")
		prefix := strings.TrimSuffix(f.poolName(), "-pool")
		if w := startWriter(t, "/dev/mapper/"+prefix+"-c", 216<<20); !w.wait(10*time.Minute) || w.err != nil {
			t.Fatalf("writing 216 MiB: %v: %s", w.err, w.out.String())
		}
		f.must("deactivate", "c")
		pools = append(pools, f)
	}
	parent := filepath.Dir(pools[0].root)
	if filepath.Dir(pools[1].root) != parent {
		t.Fatalf("the roots %s and %s are not in one directory", pools[0].root, pools[1].root)
	}
	_, errOut, code := run(t, "--root", parent, "--output", "json", "pool", "monitor", "--once")
	if code != 0 {
		t.Fatalf("pool monitor --once --root %s = exit %d, stderr:\n%s", parent, code, errOut)
	}
	grown := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(errOut))
	for sc.Scan() {
		var l monitorLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("pool monitor printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		if l.Action == "extend" && l.Root != nil && l.Resource != nil && *l.Resource == "data" {
			grown[*l.Root] = true
		}
	}
	for _, f := range pools {
		if !grown[f.root] {
			t.Errorf("pool monitor --root %s did not grow the pool of %s:\n%s", parent, f.root, errOut)
		}
		if size := fileSize(t, filepath.Join(f.root, "devicemapper", "data")); size <= 256<<20 {
			t.Errorf("data file of %s is %d bytes, want it grown", f.root, size)
		}
	}
}
