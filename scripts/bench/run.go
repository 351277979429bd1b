//go:build linux

package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dmctl/dmctl/commands"
	"github.com/dmctl/dmctl/dmctl"
)

// suite is one guest run of the benchmark.
type suite struct {
	out     io.Writer // result lines
	log     io.Writer // progress
	short   bool
	reps    int   // repetitions of the per-invocation figures
	sizes   []int // device counts of the scaling table
	thins   int   // thin devices of the pool for info, snapshot ls and check (0: skip)
	trim    bool
	profile string // a profiling build of dmctl: also write CPU and allocation profiles
	root    string // the pool root (DMCTL_ROOT)
	ctl     *dmctl.Control

	pool     string // the pool's device name
	poolDev  dmctl.Dev
	metaDev  string // the pool's metadata device (for thin_ls)
	image    int    // thin id of the snapshots' origin
	imageSec uint64 // its size in sectors
	nextPeer int    // next thin id for dmsetup's and the floor's snapshots
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	short := fs.Bool("short", false, "the short set of bench-check: fewer repetitions, 1,000 devices, no pool population or trim")
	sizes := fs.String("sizes", "", "device counts of the scaling table (default 1000,2000,5000,10000; short: 1000)")
	thins := fs.Int("thins", -1, "thin devices in the pool for info, snapshot ls and check (default 1000; short: 0)")
	reps := fs.Int("reps", 0, "repetitions of each per-invocation figure (default 10; short: 8)")
	trim := fs.Bool("trim", true, "measure trim against thin_trim (not in short mode)")
	profile := fs.String("profile", "", "a profiling build of dmctl: record CPU and allocation profiles of the main figures")
	root := fs.String("root", "/var/tmp/dmctl-bench", "pool root")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := &suite{out: os.Stdout, log: os.Stderr, short: *short, reps: *reps, thins: *thins,
		trim: *trim && !*short, profile: *profile, root: *root}
	if s.reps <= 0 {
		s.reps = 10
		if s.short {
			s.reps = 8
		}
	}
	if s.thins < 0 {
		s.thins = 1000
		if s.short {
			s.thins = 0
		}
	}
	list := *sizes
	if list == "" {
		list = "1000,2000,5000,10000"
		if s.short {
			list = "1000"
		}
	}
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("--sizes: bad count %q", f)
		}
		s.sizes = append(s.sizes, n)
	}
	return s.run()
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.log, "bench: "+format+"\n", args...)
}

func (s *suite) figure(f Figure) {
	emit(s.out, "figure", f)
	parts := []string{f.ID}
	for _, x := range []struct {
		n string
		s *Stat
	}{{"dmctl", f.Dmctl}, {"peer", f.Peer}, {"floor", f.Floor}} {
		if x.s != nil {
			parts = append(parts, fmt.Sprintf("%s %s (%d KiB)", x.n, fmtSeconds(x.s.Seconds), x.s.MaxRSSKB))
		}
	}
	if r := f.PeerRatio(); r > 0 {
		parts = append(parts, fmt.Sprintf("%.2f× peer", r))
	}
	if r := f.FloorRatio(); r > 0 {
		parts = append(parts, fmt.Sprintf("%.2f× floor", r))
	}
	s.logf("%s", strings.Join(parts, ", "))
}

func (s *suite) run() error {
	start := time.Now()
	for _, tool := range []string{"dmctl", "dmsetup", "floor", "hello", "spawn", "thin_ls", "thin_trim"} {
		if _, err := lookPath(tool); err != nil {
			return err
		}
	}
	ctl, err := dmctl.Open()
	if err != nil {
		return err
	}
	defer ctl.Close()
	s.ctl = ctl
	if err := s.meta(); err != nil {
		return err
	}
	os.Setenv("DMCTL_ROOT", s.root)
	defer s.cleanup()

	if err := s.startup(); err != nil {
		return fmt.Errorf("start-up: %w", err)
	}
	if err := s.setupPool(); err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	if err := s.snapshots("snapshot", 0); err != nil {
		return fmt.Errorf("snapshots: %w", err)
	}
	if s.thins > 0 {
		if err := s.populated(); err != nil {
			return fmt.Errorf("pool with %d thin devices: %w", s.thins, err)
		}
	}
	if err := s.reads(); err != nil {
		return fmt.Errorf("reads: %w", err)
	}
	if s.trim {
		if err := s.trimFigures(); err != nil {
			return fmt.Errorf("trim: %w", err)
		}
	}
	s.logf("done in %v", time.Since(start).Round(time.Second))
	return nil
}

func lookPath(tool string) (string, error) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, tool)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH", tool)
}

func (s *suite) meta() error {
	m := map[string]string{
		"mode":       map[bool]string{true: "short", false: "full"}[s.short],
		"date":       time.Now().UTC().Format(time.RFC3339),
		"guest_cpus": strconv.Itoa(runtime.NumCPU()),
		"dm_ioctl":   s.ctl.KernelVersion().String(),
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	if out, err := output(cmd("dmsetup", "version")); err == nil {
		first, _, _ := strings.Cut(out, "\n")
		m["dmsetup"] = strings.TrimSpace(strings.TrimPrefix(first, "Library version:"))
	}
	if out, err := output(cmd("thin_ls", "--version")); err == nil {
		m["thin_ls"] = strings.TrimSpace(out)
	}
	if out, err := output(cmd("dmctl", "--version")); err == nil {
		m["dmctl"] = strings.TrimSpace(out)
	}
	emit(s.out, "meta", m)
	return nil
}

// startup times dmctl version, dmsetup version and the smallest static Go
// program asking DM_VERSION, each a fresh process.
func (s *suite) startup() error {
	reps := 4 * s.reps
	st, err := interleave(reps, same(cmd("dmctl", "version")), same(cmd("dmsetup", "version")), same(cmd("hello")))
	if err != nil {
		return err
	}
	s.figure(Figure{ID: "startup/version", Group: "startup", Name: "version (process start + one DM_VERSION)",
		Dmctl: st[0], Peer: st[1], Floor: st[2],
		DmctlCmd: "dmctl version", PeerCmd: "dmsetup version", FloorCmd: "hello (static Go, one DM_VERSION ioctl)"})
	return s.profileOf("version", 50, cmd("dmctl", "version"))
}

// setupPool makes a pool the way an admin would (dmctl pool create, Docker's
// loop defaults) and an image to snapshot, left inactive so that neither
// tool has to suspend it.
func (s *suite) setupPool() error {
	s.logf("pool create in %s", s.root)
	os.RemoveAll(s.root)
	if _, err := runSteps(cmd("dmctl", "pool", "create")); err != nil {
		return err
	}
	if _, err := runSteps(cmd("dmctl", "snapshot", "create", "image")); err != nil {
		return err
	}
	var rec struct {
		PoolName string `json:"pool_name"`
	}
	if err := readJSONFile(filepath.Join(s.root, "metadata", "dmctl-pool.json"), &rec); err != nil {
		return err
	}
	s.pool = rec.PoolName
	info, table, err := s.ctl.Table(s.pool, dmctl.StatusOptions{})
	if err != nil {
		return err
	}
	s.poolDev = info.Dev
	if len(table) != 1 {
		return fmt.Errorf("pool %s: %d targets", s.pool, len(table))
	}
	meta, _, _ := strings.Cut(table[0].Params, " ")
	s.metaDev, err = blockPath(meta)
	if err != nil {
		return err
	}
	var img struct {
		DeviceID int    `json:"device_id"`
		Size     uint64 `json:"size"`
	}
	if err := readJSONFile(filepath.Join(s.root, "metadata", "image"), &img); err != nil {
		return err
	}
	s.image, s.imageSec = img.DeviceID, img.Size/512
	s.nextPeer = 1 << 23 // far above the ids dmctl hands out
	s.logf("pool %s (%s), metadata %s, image thin %d", s.pool, s.poolDev, s.metaDev, s.image)
	return nil
}

// blockPath turns a table's device ("MAJ:MIN" or a path) into a /dev path.
func blockPath(dev string) (string, error) {
	if strings.HasPrefix(dev, "/") {
		return dev, nil
	}
	d, err := dmctl.ParseDev(dev)
	if err != nil {
		return "", err
	}
	name := dmctl.BlockName(d)
	if name == "" {
		return "", fmt.Errorf("no block device %s", dev)
	}
	return "/dev/" + name, nil
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// snapshots times, one invocation per step as a script would, a snapshot
// create + activate and a deactivate + delete: dmctl's two commands
// against dmsetup's two (message, then create or remove) and the floor's
// four or three ioctls. tag names the figures ("snapshot", or
// "snapshot@1000" on the populated pool).
func (s *suite) snapshots(tag string, thins int) error {
	reps := s.reps
	if thins > 0 {
		reps = max(3, reps/3)
	}
	first := s.nextPeer
	s.nextPeer += reps
	prefix := fmt.Sprintf("bench-%s-", strings.ReplaceAll(tag, "@", "-"))
	dmctlID := func(rep int) string { return fmt.Sprintf("%sdmctl-%d", prefix, rep) }
	peerName := func(rep int) string { return fmt.Sprintf("%speer-%d", prefix, rep) }
	table := func(id int) string {
		return fmt.Sprintf("0 %d thin %s %d", s.imageSec, s.poolDev, id)
	}
	st, err := interleave(reps,
		stepsOf(func(rep int) []step {
			return []step{cmd("dmctl", "snapshot", "create", dmctlID(rep), "--origin", "image"),
				cmd("dmctl", "activate", dmctlID(rep))}
		}),
		stepsOf(func(rep int) []step {
			return []step{cmd("dmsetup", "message", s.pool, "0", fmt.Sprintf("create_snap %d %d", first+rep, s.image)),
				cmd("dmsetup", "create", peerName(rep), "--table", table(first+rep))}
		}))
	if err != nil {
		return err
	}
	floorFirst := s.nextPeer
	s.nextPeer += reps
	fl, err := s.floor(reps, "snap", s.pool, strconv.Itoa(s.image), strconv.Itoa(floorFirst), strconv.Itoa(reps), prefix+"floor-", strconv.FormatUint(s.imageSec, 10))
	if err != nil {
		return err
	}
	name := "snapshot create + activate"
	note := ""
	if thins > 0 {
		name += fmt.Sprintf(", %d thin devices in the pool", thins)
	}
	s.figure(Figure{ID: tag + "/create", Group: "snapshot", Name: name, Dmctl: st[0], Peer: st[1], Floor: fl,
		DmctlCmd: "dmctl snapshot create ID --origin image; dmctl activate ID",
		PeerCmd:  "dmsetup message POOL 0 'create_snap N M'; dmsetup create NAME --table '0 S thin POOL N'",
		FloorCmd: "floor snap (create_snap, DM_DEV_CREATE, DM_TABLE_LOAD, resume, mknod)", Note: note})

	st, err = interleave(reps,
		stepsOf(func(rep int) []step {
			return []step{cmd("dmctl", "deactivate", dmctlID(rep)), cmd("dmctl", "snapshot", "rm", dmctlID(rep))}
		}),
		stepsOf(func(rep int) []step {
			return []step{cmd("dmsetup", "remove", peerName(rep)),
				cmd("dmsetup", "message", s.pool, "0", fmt.Sprintf("delete %d", first+rep))}
		}))
	if err != nil {
		return err
	}
	fl, err = s.floor(reps, "unsnap", s.pool, strconv.Itoa(floorFirst), strconv.Itoa(reps), prefix+"floor-")
	if err != nil {
		return err
	}
	name = "deactivate + snapshot rm"
	if thins > 0 {
		name += fmt.Sprintf(", %d thin devices in the pool", thins)
	}
	s.figure(Figure{ID: tag + "/remove", Group: "snapshot", Name: name, Dmctl: st[0], Peer: st[1], Floor: fl,
		DmctlCmd: "dmctl deactivate ID; dmctl snapshot rm ID",
		PeerCmd:  "dmsetup remove NAME; dmsetup message POOL 0 'delete N'",
		FloorCmd: "floor unsnap (DM_DEV_REMOVE, unlink, delete)"})

	if s.profile != "" {
		id := prefix + "prof"
		if err := s.profileOf(strings.ReplaceAll(tag, "@", "-")+"-create", 1,
			cmd("dmctl", "snapshot", "create", id, "--origin", "image"), cmd("dmctl", "activate", id)); err != nil {
			return err
		}
		if err := s.profileOf(strings.ReplaceAll(tag, "@", "-")+"-remove", 1,
			cmd("dmctl", "deactivate", id), cmd("dmctl", "snapshot", "rm", id)); err != nil {
			return err
		}
	}
	return nil
}

// floor runs the floor program once and returns the time of one
// operation: one of its count operations, or with count 0 the whole run
// (a read over every device).
func (s *suite) floor(count int, args ...string) (*Stat, error) {
	out, err := output(cmd(append([]string{"floor"}, args...)...))
	if err != nil {
		return nil, err
	}
	var r struct {
		Ns      int64 `json:"ns"`
		NsPerOp int64 `json:"ns_per_op"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return nil, fmt.Errorf("floor %s: %q: %w", strings.Join(args, " "), out, err)
	}
	if count == 0 {
		return &Stat{Seconds: float64(r.Ns) / 1e9, Reps: 1}, nil
	}
	return &Stat{Seconds: float64(r.NsPerOp) / 1e9, Reps: count}, nil
}

// floorRead runs the floor's read of verb reps times and returns the median.
func (s *suite) floorRead(reps int, verb string) (*Stat, error) {
	var times []float64
	for range reps {
		st, err := s.floor(0, "read", verb)
		if err != nil {
			return nil, err
		}
		times = append(times, st.Seconds)
	}
	return &Stat{Seconds: median(times), Reps: reps}, nil
}

// populated grows the pool to s.thins thin devices (in this process,
// through dmctl's own command line, which is much faster than one process
// each) and times the commands that read the whole pool against thin_ls on
// a metadata snapshot.
func (s *suite) populated() error {
	have, err := s.deviceFiles()
	if err != nil {
		return err
	}
	s.logf("growing the pool from %d to %d thin devices", have, s.thins)
	start := time.Now()
	for i := have; i < s.thins; i++ {
		var errBuf strings.Builder
		args := []string{"dmctl", "snapshot", "create", fmt.Sprintf("layer-%05d", i), "--origin", "image"}
		if code := commands.Main(args, nil, io.Discard, &errBuf); code != 0 {
			return fmt.Errorf("%s: %s", strings.Join(args, " "), errBuf.String())
		}
		if (i+1)%100 == 0 {
			s.logf("  %d thin devices (%v)", i+1, time.Since(start).Round(time.Second))
		}
	}
	if err := s.snapshots(fmt.Sprintf("snapshot@%d", s.thins), s.thins); err != nil {
		return err
	}
	reps := max(3, s.reps/3)
	thinLs := s.thinLs()
	for _, c := range []struct{ id, name, dmctl string }{
		{"info", "info (docker info section)", "info"},
		{"snapshot-ls", "snapshot ls (mapped, exclusive, shared)", "snapshot ls"},
		{"check", "check (files, metadata, kernel)", "check"},
	} {
		st, err := interleave(reps, same(cmd(append([]string{"dmctl"}, strings.Fields(c.dmctl)...)...)), thinLs)
		if err != nil {
			return err
		}
		s.figure(Figure{ID: fmt.Sprintf("pool@%d/%s", s.thins, c.id), Group: "pool", Name: c.name, Devices: s.thins,
			Dmctl: st[0], Peer: st[1], DmctlCmd: "dmctl " + c.dmctl,
			PeerCmd: "thin_ls -m -o DEV,MAPPED_BYTES,EXCLUSIVE_BYTES,SHARED_BYTES METADATA_DEV (metadata snapshot reserved beforehand)"})
		if err := s.profileOf("pool-"+c.id, 1, cmd(append([]string{"dmctl"}, strings.Fields(c.dmctl)...)...)); err != nil {
			return err
		}
	}
	return nil
}

// thinLs is the peer of the whole-pool reads: thin_ls on a metadata
// snapshot, reserved and released around it (not timed).
func (s *suite) thinLs() contender {
	return func(int) (sample, error) {
		if err := s.message("reserve_metadata_snap"); err != nil {
			return sample{}, err
		}
		smp, err := runSteps(cmd("thin_ls", "-m", "-o", "DEV,MAPPED_BYTES,EXCLUSIVE_BYTES,SHARED_BYTES", s.metaDev))
		return smp, errors.Join(err, s.message("release_metadata_snap"))
	}
}

func (s *suite) message(msg string) error {
	_, err := s.ctl.Message(s.pool, 0, msg)
	return err
}

// deviceFiles counts the pool's device files (base included).
func (s *suite) deviceFiles() (int, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "metadata"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, "-metadata") &&
			name != "dmctl-pool.json" {
			n++
		}
	}
	return n, nil
}

// readVerbs are the reads of the scaling table: what dmctl runs, what
// dmsetup runs for the same answer, and the floor's requests.
var readVerbs = []struct {
	id, name    string
	dmctl, peer []string
	floor       string
}{
	{"ls", "ls", []string{"ls"}, []string{"ls"}, "ls"},
	{"ls-dmsetup", "ls, dmsetup text", []string{"--output", "dmsetup", "ls"}, []string{"ls"}, "ls"},
	{"info", "info, dmsetup text", []string{"--output", "dmsetup", "info"}, []string{"info"}, "info"},
	{"info-c", "info -c", []string{"info", "-c"}, []string{"info", "-c"}, "info"},
	{"status", "status", []string{"status"}, []string{"status"}, "status"},
	{"status-dmsetup", "status, dmsetup text", []string{"--output", "dmsetup", "status"}, []string{"status"}, "status"},
	{"table", "table", []string{"table"}, []string{"table"}, "table"},
	{"table-dmsetup", "table, dmsetup text", []string{"--output", "dmsetup", "table"}, []string{"table"}, "table"},
	{"deps", "deps", []string{"deps"}, []string{"deps"}, "deps"},
	{"deps-dmsetup", "deps, dmsetup text", []string{"--output", "dmsetup", "deps"}, []string{"deps"}, "deps"},
	{"tree", "ls --tree", []string{"ls", "--tree"}, []string{"ls", "--tree"}, "tree"},
}

// readDevicePrefix names the devices the scaling table adds: Docker's
// naming of another root, so the names are as long as real ones.
const readDevicePrefix = "docker-253:99-4242-"

// reads grows the kernel's device list to each size and times every read
// verb over all devices.
func (s *suite) reads() error {
	ids, err := s.thinIDs()
	if err != nil {
		return err
	}
	made := 0
	defer func() {
		s.logf("removing %d devices", made)
		for i := range made {
			s.ctl.Remove(readDeviceName(i), dmctl.RemoveOptions{Retry: true})
		}
	}()
	for _, size := range s.sizes {
		have, err := s.ctl.List(dmctl.ListOptions{})
		if err != nil {
			return err
		}
		others := len(have) - made // the pool's own devices and whatever else runs
		start := time.Now()
		for others+made < size {
			id := ids[made%len(ids)]
			t := dmctl.Target{Length: s.imageSec, Type: "thin", Params: fmt.Sprintf("%s %d", s.poolDev, id)}
			if _, err := s.ctl.CreateDevice(readDeviceName(made), "", []dmctl.Target{t}, false); err != nil {
				return err
			}
			made++
		}
		all, err := s.ctl.List(dmctl.ListOptions{})
		if err != nil {
			return err
		}
		n := len(all)
		s.logf("%d devices (made in %v)", n, time.Since(start).Round(time.Millisecond))
		reps := 3
		switch {
		case n > 2000:
			reps = 1 // dmsetup alone takes minutes a verb there
		case s.short:
			reps = 5 // the short set's size: more pairs, steadier medians
		}
		for _, v := range readVerbs {
			st, err := interleave(reps, same(cmd(append([]string{"dmctl"}, v.dmctl...)...)),
				same(cmd(append([]string{"dmsetup"}, v.peer...)...)))
			if err != nil {
				return err
			}
			fl, err := s.floorRead(reps, v.floor)
			if err != nil {
				return err
			}
			s.figure(Figure{ID: fmt.Sprintf("reads/%s@%d", v.id, size), Group: "reads", Name: v.name, Devices: n,
				Dmctl: st[0], Peer: st[1], Floor: fl,
				DmctlCmd: "dmctl " + strings.Join(v.dmctl, " "), PeerCmd: "dmsetup " + strings.Join(v.peer, " "),
				FloorCmd: "floor read " + v.floor})
			if size == s.sizes[len(s.sizes)-1] {
				if err := s.profileOf(fmt.Sprintf("%s-%d", v.id, size), 1, cmd(append([]string{"dmctl"}, v.dmctl...)...)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func readDeviceName(i int) string {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	return fmt.Sprintf("%s%x", readDevicePrefix, sum)
}

// thinIDs returns the thin ids of the pool's devices, for the scaling
// table's devices to map.
func (s *suite) thinIDs() ([]int, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, "metadata"))
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, e := range entries {
		var m struct {
			DeviceID *int `json:"device_id"`
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := readJSONFile(filepath.Join(s.root, "metadata", e.Name()), &m); err != nil || m.DeviceID == nil {
			continue
		}
		ids = append(ids, *m.DeviceID)
	}
	if len(ids) == 0 {
		return nil, errors.New("the pool has no thin devices")
	}
	return ids, nil
}

func (s *suite) cleanup() {
	if s.pool == "" {
		return
	}
	s.logf("destroying the pool")
	devs, _ := s.ctl.List(dmctl.ListOptions{})
	for _, d := range devs {
		if strings.HasPrefix(d.Name, "bench-") || strings.HasPrefix(d.Name, readDevicePrefix) {
			s.ctl.Remove(d.Name, dmctl.RemoveOptions{Retry: true})
		}
	}
	if _, err := runSteps(cmd("dmctl", "pool", "destroy", "--yes", "--force")); err != nil {
		s.logf("cleanup: %v", err)
	}
}

func fmtSeconds(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.2f s", sec)
	case sec >= 1e-3:
		return fmt.Sprintf("%.1f ms", sec*1e3)
	default:
		return fmt.Sprintf("%.0f µs", sec*1e6)
	}
}
