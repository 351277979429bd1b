//go:build linux

package commands_test

// The reliability suite: concurrent commands, SIGKILL at random moments,
// faults under the pool and bad input, against the real kernel, each
// reporting one figure line ("RELIABILITY ...") that make test prints.
// make vmtest leaves these tests to make reliability, which runs them
// with -v so that the figures show:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestReliability ./commands

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// figure prints one line of the suite's figures.
func figure(format string, args ...any) {
	fmt.Printf("RELIABILITY "+format+"\n", args...)
}

// commandTimeout bounds every dmctl the suite runs: a command that does
// not end in it hangs, which is a failure of its own.
const commandTimeout = 3 * time.Minute

// result is one dmctl process's end.
type result struct {
	args           []string
	stdout, stderr string
	code           int // -1: killed by a signal
	hung           bool
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("dmctl %s = exit %d (stderr %q)", strings.Join(r.args, " "), r.code, r.stderr)
}

// oneLine reports whether stderr is exactly one "dmctl: " line.
func (r result) oneLine() bool {
	return strings.HasPrefix(r.stderr, "dmctl: ") && strings.Count(r.stderr, "\n") == 1 && strings.HasSuffix(r.stderr, "\n")
}

// busy reports whether the command failed only because another held the
// root's lock too long.
func (r result) busy() bool {
	return r.code == 1 && r.oneLine() && strings.Contains(r.stderr, "is busy")
}

// runDmctl runs dmctl on the fixture's pool as a process, bounded by
// commandTimeout.
func (f *poolFixture) runDmctl(env []string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], f.args(args...)...)
	cmd.Env = append(append(os.Environ(), mainEnv+"=1"), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		r.hung, r.code = true, -1
		return r
	}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			f.t.Fatalf("run dmctl %s: %v", strings.Join(args, " "), err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// kernelState describes the kernel's devices: every device's info
// (state, tables, open count, event number) and table.
func kernelState(t *testing.T) string {
	t.Helper()
	return dmtest.Dmsetup(t, "info") + dmtest.Dmsetup(t, "table")
}

// TestReliabilityBadInput gives dmctl bad input of every kind: names,
// sizes and flags no command takes; state files that are malformed,
// truncated, zeroed, duplicated or edited by hand; roots that are files,
// read-only, open to others or missing their data; devices someone else
// holds. Each must end with exit 1 or 2 and one line on standard error,
// and leave the root and the kernel's tables byte for byte as they were.
func TestReliabilityBadInput(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "img")
	f.must("snapshot", "create", "ctr", "--origin", "img")
	mnt := strings.TrimSpace(f.must("mount", "ctr"))
	t.Cleanup(func() { f.try("umount", "ctr") })
	f.must("activate", "img")
	held, err := os.Open(f.poolDevicePath("img"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	_ = mnt

	meta := filepath.Join(f.root, "metadata")
	file := func(name string) string { return filepath.Join(meta, name) }
	// replace swaps a state file's content for the test and restores it.
	replace := func(name string, content []byte) func() func() {
		return func() func() {
			old, err := os.ReadFile(file(name))
			existed := err == nil
			if err := os.WriteFile(file(name), content, 0o600); err != nil {
				t.Fatal(err)
			}
			return func() {
				if existed {
					os.WriteFile(file(name), old, 0o600)
				} else {
					os.Remove(file(name))
				}
			}
		}
	}
	imgJSON, err := os.ReadFile(file("img"))
	if err != nil {
		t.Fatal(err)
	}
	poolJSON, err := os.ReadFile(file("dmctl-pool.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(b []byte, from, to string) []byte {
		if !bytes.Contains(b, []byte(from)) {
			t.Fatalf("%s lacks %q", b, from)
		}
		return bytes.Replace(b, []byte(from), []byte(to), 1)
	}
	var imgID string
	{
		var m map[string]any
		decodeJSON(t, string(imgJSON), &m)
		imgID = fmt.Sprint(m["device_id"])
	}
	other := t.TempDir() // roots other than the fixture's live here
	fileRoot := filepath.Join(other, "file")
	os.WriteFile(fileRoot, []byte("not a directory"), 0o600)

	type badCase struct {
		name  string
		root  string // "" for the fixture's root
		setup func() func()
		args  []string
	}
	cases := []badCase{
		{name: "id with a slash", args: []string{"snapshot", "create", "a/b"}},
		{name: "id ..", args: []string{"snapshot", "create", ".."}},
		{name: "id with a space", args: []string{"snapshot", "create", "a b"}},
		{name: "id of 200 characters", args: []string{"snapshot", "create", strings.Repeat("x", 200)}},
		{name: "empty id", args: []string{"snapshot", "create", ""}},
		{name: "hidden id", args: []string{"snapshot", "create", ".hidden"}},
		{name: "id ending .migrated", args: []string{"snapshot", "create", "x.migrated"}},
		{name: "reserved id", args: []string{"snapshot", "create", "deviceset-metadata"}},
		{name: "id taken", args: []string{"snapshot", "create", "img"}},
		{name: "missing origin", args: []string{"snapshot", "create", "n", "--origin", "nosuch"}},
		{name: "size that overflows", args: []string{"snapshot", "create", "n", "--size", "99999999999999999999"}},
		{name: "size 16E", args: []string{"snapshot", "create", "n", "--size", "16E"}},
		{name: "negative size", args: []string{"snapshot", "create", "n", "--size", "-1"}},
		{name: "size below the origin's", args: []string{"snapshot", "create", "n", "--size", "1M"}},
		{name: "size not a word", args: []string{"snapshot", "create", "n", "--size", "big"}},
		{name: "remove the base", args: []string{"snapshot", "rm", "base"}},
		{name: "remove a missing id", args: []string{"snapshot", "rm", "nosuch"}},
		{name: "remove a mounted device", args: []string{"snapshot", "rm", "ctr"}},
		{name: "remove an open device", args: []string{"snapshot", "rm", "img"}},
		{name: "remove one id twice", args: []string{"snapshot", "rm", "ctr", "ctr"}},
		{name: "activate a missing id", args: []string{"activate", "nosuch"}},
		{name: "activate a path", args: []string{"activate", "../metadata/img"}},
		{name: "mount a missing id", args: []string{"mount", "nosuch"}},
		{name: "umount what is not mounted", args: []string{"umount", "img"}},
		{name: "deactivate an open device", args: []string{"deactivate", "img"}},
		{name: "deactivate a pool in use", args: []string{"pool", "deactivate"}},
		{name: "destroy a pool in use", args: []string{"pool", "destroy", "--yes"}},
		{name: "destroy without --yes", args: []string{"pool", "destroy"}},
		{name: "create over a pool", args: []string{"pool", "create", "--data-size", "1G", "--metadata-size", "32M"}},
		{name: "shrink the pool", args: []string{"pool", "extend", "--data-size", "512M"}},
		{name: "extend by a non-size", args: []string{"pool", "extend", "--data-size", "lots"}},
		{name: "delete a thin id that is not an orphan", args: []string{"check", "--repair", "--delete-thin", imgID}},
		{name: "delete a thin id that is not a number", args: []string{"check", "--repair", "--delete-thin", "abc"}},
		{name: "--yes without --repair", args: []string{"check", "--yes"}},
		{name: "unknown flag", args: []string{"snapshot", "ls", "--no-such-flag"}},
		{name: "extra argument", args: []string{"snapshot", "ls", "extra"}},
		{name: "prefix with a slash", args: []string{"--prefix", "a/b", "snapshot", "ls"}},

		{name: "device file truncated", setup: replace("img", imgJSON[:len(imgJSON)/2]), args: []string{"snapshot", "ls"}},
		{name: "device file zeroed", setup: replace("img", make([]byte, len(imgJSON))), args: []string{"snapshot", "create", "x"}},
		{name: "device file not JSON", setup: replace("img", []byte("not json\n")), args: []string{"activate", "img"}},
		{name: "device file duplicated", setup: replace("dup", imgJSON), args: []string{"snapshot", "rm", "dup"}},
		{name: "device file with a negative thin id", setup: replace("img", edit(imgJSON, `"device_id":`+imgID, `"device_id":-5`)), args: []string{"snapshot", "ls"}},
		{name: "device file with an odd size", setup: replace("img", edit(imgJSON, `"size":`, `"size":1000,"x":`)), args: []string{"mount", "img"}},
		{name: "pool record truncated", setup: replace("dmctl-pool.json", poolJSON[:len(poolJSON)/3]), args: []string{"info"}},
		{name: "pool record from a newer dmctl", setup: replace("dmctl-pool.json", edit(poolJSON, `"version":1`, `"version":99`)), args: []string{"snapshot", "ls"}},
		{name: "pool record with a bogus mode", setup: replace("dmctl-pool.json", edit(poolJSON, `"mode":"loop"`, `"mode":"bogus"`)), args: []string{"pool", "activate"}},
		{name: "pool record with a path as prefix", setup: replace("dmctl-pool.json", edit(poolJSON, `"prefix":"`, `"prefix":"../../x`)), args: []string{"snapshot", "ls"}},
		{name: "transaction file not JSON", setup: replace("transaction-metadata", []byte("{")), args: []string{"snapshot", "create", "x"}},
		{name: "transaction file naming a path", setup: replace("transaction-metadata", []byte(`{"open_transaction_id":99,"device_hash":"../../../etc/passwd","device_id":3}`)), args: []string{"snapshot", "create", "x"}},
		{name: "deviceset file not JSON", setup: replace("deviceset-metadata", []byte("[]")), args: []string{"snapshot", "create", "x"}},
		{name: "device file a link", setup: func() func() {
			os.Symlink("img", file("evil"))
			return func() { os.Remove(file("evil")) }
		}, args: []string{"activate", "evil"}},
		{name: "root open to others", setup: func() func() {
			os.Chmod(f.root, 0o777)
			return func() { os.Chmod(f.root, 0o700) }
		}, args: []string{"snapshot", "ls"}},
		{name: "root read-only", setup: func() func() {
			if err := syscall.Mount(f.root, f.root, "", syscall.MS_BIND, ""); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mount("", f.root, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
				t.Fatal(err)
			}
			return func() {
				if err := syscall.Unmount(f.root, 0); err != nil {
					t.Fatal(err)
				}
			}
		}, args: []string{"snapshot", "create", "x"}},
		{name: "root that is a file", root: fileRoot, args: []string{"snapshot", "ls"}},
		{name: "root that does not exist", root: filepath.Join(other, "none"), args: []string{"snapshot", "ls"}},
		{name: "root missing its data file", root: filepath.Join(other, "nodata"), setup: func() func() {
			root := filepath.Join(other, "nodata")
			g := &poolFixture{t: t, root: root, word: f.word + "-nd"}
			g.must("pool", "create", "--data-size", "256M", "--metadata-size", "16M", "--base-size", "64M", "--fs", "ext4")
			g.must("pool", "deactivate")
			os.Remove(filepath.Join(root, "devicemapper", "data"))
			return func() {}
		}, args: []string{"--prefix", f.word + "-nd", "pool", "activate"}},
		{name: "create on a data device that is a file", root: filepath.Join(other, "fresh"), args: []string{"pool", "create", "--data-dev", "/etc/passwd", "--metadata-dev", "/dev/vdb"}},
		{name: "create on a missing data device", root: filepath.Join(other, "fresh"), args: []string{"pool", "create", "--data-dev", "/dev/nosuch", "--metadata-dev", "/dev/vdb"}},
		{name: "create with a bad block size", root: filepath.Join(other, "fresh"), args: []string{"pool", "create", "--block-size", "3K"}},
		{name: "create in a directory others can write", root: filepath.Join(other, "open", "root"), setup: func() func() {
			os.Mkdir(filepath.Join(other, "open"), 0o777)
			os.Chmod(filepath.Join(other, "open"), 0o777)
			return func() {}
		}, args: []string{"pool", "create", "--data-size", "256M", "--metadata-size", "16M"}},
	}
	var exitOK, lineOK, stateOK int
	for _, tc := range cases {
		undo := func() {}
		if tc.setup != nil {
			undo = tc.setup()
		}
		root := f.root
		if tc.root != "" {
			root = tc.root
		}
		g := &poolFixture{t: t, root: root, word: f.word}
		watch := f.root
		if tc.root != "" {
			watch = other
		}
		rootBefore, kernelBefore := rootListing(t, watch), kernelState(t)
		r := g.runDmctl(nil, tc.args...)
		rootAfter, kernelAfter := rootListing(t, watch), kernelState(t)
		undo()
		if r.code == 1 || r.code == 2 {
			exitOK++
		} else {
			t.Errorf("%s: %v, want exit 1 or 2", tc.name, r)
		}
		if r.oneLine() {
			lineOK++
		} else {
			t.Errorf("%s: %v: stderr is not one line", tc.name, r)
		}
		if rootAfter == rootBefore && kernelAfter == kernelBefore {
			stateOK++
		} else {
			t.Errorf("%s: %v changed state:\nroot:\n%s\nkernel:\n%s", tc.name, r,
				lineDiff(rootAfter, rootBefore), lineDiff(kernelAfter, kernelBefore))
		}
	}
	figure("(4) bad input: %d distinct cases; exit 1 or 2: %d/%d; one error line: %d/%d; state directory and kernel tables byte-identical: %d/%d",
		len(cases), exitOK, len(cases), lineOK, len(cases), stateOK, len(cases))
	if len(cases) < 40 {
		t.Errorf("%d bad inputs, want at least 40", len(cases))
	}
	held.Close()
	f.must("umount", "ctr")
	f.must("check")
}

// poolDevicePath returns /dev/mapper/<name> of device id, from snapshot ls.
func (f *poolFixture) poolDevicePath(id string) string {
	f.t.Helper()
	for _, d := range f.snapshots() {
		if d.ID == id {
			return "/dev/mapper/" + d.Name
		}
	}
	f.t.Fatalf("no device %s", id)
	return ""
}

// fileThinIDs returns the thin ids the root's device files name, sorted.
func (f *poolFixture) fileThinIDs() []int {
	f.t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.root, "metadata"))
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []int
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(n, ".") || n == "deviceset-metadata" ||
			n == "transaction-metadata" || n == "dmctl-pool.json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(f.root, "metadata", n))
		if err != nil {
			f.t.Fatal(err)
		}
		var m struct {
			DeviceID int `json:"device_id"`
		}
		decodeJSON(f.t, string(b), &m)
		ids = append(ids, m.DeviceID)
	}
	sort.Ints(ids)
	return ids
}

// verifyAtRest deactivates the pool and checks its metadata with the
// oracles: thin_check clean, and thin_ls's thin ids equal to the device
// files'. It returns the number of thin ids and activates the pool again.
func (f *poolFixture) verifyAtRest() (int, error) {
	f.t.Helper()
	want := f.fileThinIDs()
	if r := f.runDmctl(nil, "pool", "deactivate"); r.code != 0 {
		return 0, fmt.Errorf("%v", r)
	}
	meta := filepath.Join(f.root, "devicemapper", "metadata")
	if out, err := exec.Command("thin_check", meta).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("thin_check: %v: %s", err, out)
	}
	got := metadataThinIDs(f.t, meta)
	if r := f.runDmctl(nil, "pool", "activate"); r.code != 0 {
		return 0, fmt.Errorf("%v", r)
	}
	if !slices.Equal(got, want) {
		return 0, fmt.Errorf("thin_ls thin ids %v, device files %v", got, want)
	}
	return len(got), nil
}

// TestReliabilityConcurrent runs 8 dmctl processes at once, 25 mixed
// operations each (create, activate, deactivate, mount, umount, rm,
// snapshot ls, check, status, info, trim, pool ls) on one pool: every
// command must succeed or fail with a clear busy line; afterwards check,
// thin_check and thin_ls must agree with the device files.
func TestReliabilityConcurrent(t *testing.T) {
	const workers, perWorker = 8, 25
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "2G", "--metadata-size", "64M", "--base-size", "64M", "--fs", "ext4")
	f.must("snapshot", "create", "shared")
	kinds := []string{"create", "create", "activate", "deactivate", "mount", "umount", "rm",
		"snapshot ls", "check", "status", "info", "trim", "pool ls"}
	type tally struct{ ok, busy, failed int }
	counts := map[string]*tally{}
	for _, k := range kinds {
		counts[k] = &tally{}
	}
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var own []string
			mounted := map[string]bool{}
			n := 0
			for i := range perWorker {
				kind := kinds[(i+w)%len(kinds)] // every kind from every worker, in a different order
				if i >= len(kinds) {
					kind = kinds[rng.IntN(len(kinds))]
				}
				pick := func() string { return own[rng.IntN(len(own))] }
				var args []string
				switch kind {
				case "create":
					n++
					id := fmt.Sprintf("w%d-%d", w, n)
					args = []string{"snapshot", "create", id}
					if len(own) > 0 && rng.IntN(2) == 0 {
						args = append(args, "--origin", pick())
					}
				case "activate", "deactivate", "mount", "umount", "rm":
					if len(own) == 0 {
						kind, args = "snapshot ls", []string{"snapshot", "ls"}
						break
					}
					id := pick()
					switch kind {
					case "activate":
						args = []string{"activate", id}
					case "deactivate":
						if mounted[id] {
							args = []string{"umount", id}
							kind = "umount"
						} else {
							args = []string{"deactivate", id}
						}
					case "mount":
						if mounted[id] {
							args = []string{"snapshot", "ls"}
							kind = "snapshot ls"
						} else {
							args = []string{"mount", id}
						}
					case "umount":
						if !mounted[id] {
							args = []string{"mount", id}
							kind = "mount"
						} else {
							args = []string{"umount", id}
						}
					case "rm":
						if mounted[id] {
							args = []string{"umount", id}
							kind = "umount"
						} else {
							args = []string{"snapshot", "rm", id}
						}
					}
				default:
					args = strings.Fields(kind)
				}
				r := f.runDmctl(nil, args...)
				mu.Lock()
				switch {
				case r.code == 0:
					counts[kind].ok++
					switch kind {
					case "create":
						own = append(own, args[2])
					case "rm":
						own = slices.DeleteFunc(own, func(s string) bool { return s == args[2] })
					case "mount":
						mounted[args[1]] = true
					case "umount":
						delete(mounted, args[1])
					}
				case r.busy():
					counts[kind].busy++
				default:
					counts[kind].failed++
					failures = append(failures, r.String())
				}
				mu.Unlock()
			}
			for id := range mounted {
				f.runDmctl(nil, "umount", id)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	var ok, busy, failed int
	var per []string
	for _, k := range []string{"create", "activate", "deactivate", "mount", "umount", "rm", "snapshot ls", "check", "status", "info", "trim", "pool ls"} {
		c := counts[k]
		ok, busy, failed = ok+c.ok, busy+c.busy, failed+c.failed
		per = append(per, fmt.Sprintf("%s %d", k, c.ok+c.busy+c.failed))
	}
	for _, s := range failures {
		t.Errorf("concurrent command failed: %s", s)
	}
	checkOK := "clean"
	if r := f.runDmctl(nil, "check"); r.code != 0 {
		checkOK = "NOT clean"
		t.Errorf("check after the concurrent run: %v\n%s", r, r.stdout)
	}
	stalled := f.stalled()
	if stalled != "" {
		t.Errorf("after the concurrent run: %s", stalled)
	}
	ids, err := f.verifyAtRest()
	atRest := fmt.Sprintf("thin_check clean, device files' thin ids = thin_ls's (%d ids)", ids)
	if err != nil {
		atRest = "MISMATCH: " + err.Error()
		t.Error(err)
	}
	figure("(1) concurrency: %d processes x %d operations = %d commands in %v (%s): succeeded %d, failed with a clear busy line %d, failed otherwise %d; afterwards check %s, %s, nothing left suspended or held: %v",
		workers, perWorker, ok+busy+failed, took.Round(time.Second), strings.Join(per, ", "), ok, busy, failed, checkOK, atRest, stalled == "")
}

// startDmctl starts dmctl on the fixture's pool as a process.
func (f *poolFixture) startDmctl(args ...string) (*exec.Cmd, *bytes.Buffer) {
	f.t.Helper()
	cmd := exec.Command(os.Args[0], f.args(args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	return cmd, &errOut
}

// deviceIDs returns the ids of the pool's devices: the names of its
// device files.
func (f *poolFixture) deviceIDs() map[string]bool {
	f.t.Helper()
	entries, err := os.ReadDir(filepath.Join(f.root, "metadata"))
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && !strings.HasPrefix(n, ".") && n != "deviceset-metadata" &&
			n != "transaction-metadata" && n != "dmctl-pool.json" {
			out[n] = true
		}
	}
	return out
}

// TestReliabilityKills kills every mutating command with SIGKILL at random
// moments (not only at named steps), at least 50 times: the next command,
// of any kind, must run and leave nothing suspended, half made or held;
// the next writer must finish or roll back what was left; no thin id may
// be lost or leaked, and the data of devices nobody removed must survive.
func TestReliabilityKills(t *testing.T) {
	// Rounds go on until 50 kills landed in the middle of a command (a
	// command that ends before its kill makes a round that tests
	// nothing), 90 rounds at most.
	const wantKills, maxRounds = 50, 90
	rounds, killedMid := 0, 0
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "64M", "--base-size", "64M", "--fs", "ext4")
	f.must("snapshot", "create", "keeper")
	sum := writeData(t, strings.TrimSpace(f.must("mount", "keeper")))
	f.must("umount", "keeper")
	f.must("snapshot", "create", "origin")
	f.must("activate", "origin")
	dataSize := uint64(1 << 30)
	rng := rand.New(rand.NewPCG(10, 1))

	type op struct {
		name  string
		setup func(n int) []string // makes what the op needs; returns its arguments
	}
	victim := func(n int) string {
		id := fmt.Sprintf("v%d", n)
		f.must("snapshot", "create", id)
		return id
	}
	ops := []op{
		{"snapshot create", func(n int) []string { return []string{"snapshot", "create", fmt.Sprintf("c%d", n)} }},
		{"snapshot create of an active origin", func(n int) []string {
			return []string{"snapshot", "create", fmt.Sprintf("s%d", n), "--origin", "origin"}
		}},
		{"snapshot rm", func(n int) []string { return []string{"snapshot", "rm", victim(n)} }},
		{"activate", func(n int) []string { return []string{"activate", victim(n)} }},
		{"deactivate", func(n int) []string {
			id := victim(n)
			f.must("activate", id)
			return []string{"deactivate", id}
		}},
		{"mount", func(n int) []string { return []string{"mount", victim(n)} }},
		{"umount", func(n int) []string {
			id := victim(n)
			f.must("mount", id)
			return []string{"umount", id}
		}},
		{"trim", func(int) []string { return []string{"trim"} }},
		{"pool extend", func(int) []string {
			dataSize += 16 << 20
			return []string{"pool", "extend", "--data-size", fmt.Sprint(dataSize)}
		}},
		{"pool deactivate", func(int) []string {
			f.must("deactivate", "origin")
			return []string{"pool", "deactivate"}
		}},
		{"pool activate", func(int) []string {
			f.must("deactivate", "origin")
			f.must("pool", "deactivate")
			return []string{"pool", "activate"}
		}},
		{"check --repair", func(int) []string { return []string{"check", "--repair"} }},
	}
	nexts := [][]string{{"snapshot", "ls"}, {"info"}, {"pool", "ls"}, {"check"}, {"status"}, {"pool", "activate"}, {"snapshot", "create", "next"}}
	took := map[string]time.Duration{}
	var recovered, lost, leaked, suspended, held, failedNext int
	perOp := map[string]int{}
	for round := 0; killedMid < wantKills && round < maxRounds; round++ {
		rounds++
		o := ops[round%len(ops)]
		if round >= len(ops)*3 {
			o = ops[rng.IntN(len(ops))]
		}
		before := f.deviceIDs()
		args := o.setup(round)
		d, seen := took[o.name]
		if !seen {
			// Time it once, unkilled, to know where its random moments lie.
			r := f.runDmctl(nil, args...)
			if r.code != 0 {
				t.Fatalf("%v", r)
			}
			took[o.name] = r.took
			f.must("pool", "activate")
			f.must("activate", "origin")
			if id := args[len(args)-1]; f.deviceIDs()[id] && id != "origin" {
				f.try("umount", id)
				f.try("deactivate", id)
			}
			before = f.deviceIDs()
			args = o.setup(round + 1000)
			d = r.took
		}
		delay := time.Duration(rng.Int64N(int64(d*9/10 + time.Millisecond)))
		cmd, errOut := f.startDmctl(args...)
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		perOp[o.name]++
		killedNote := "finished before the kill"
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == -1 {
			killedNote = "killed"
			killedMid++
		}
		t.Logf("round %d: %v after %v (of ~%v): %s %s", round, args, delay.Round(time.Millisecond), d.Round(time.Millisecond), killedNote, strings.TrimSpace(errOut.String()))

		// The next command, of any kind, runs and leaves nothing stalled.
		next := nexts[rng.IntN(len(nexts))]
		if next[0] == "snapshot" && next[1] == "create" {
			next = []string{"snapshot", "create", fmt.Sprintf("n%d", round)}
		}
		r := f.runDmctl(nil, next...)
		// A reader may find the pool down (a killed pool activate or
		// deactivate) or a transaction open (which the next writer
		// finishes): it says so and exits 1. Anything else fails.
		okNext := r.code == 0 ||
			(r.code == 1 && r.oneLine() && strings.Contains(r.stderr, "not active")) ||
			(next[0] == "check" && r.code == 1 && onlyFindings(r.stdout, "open-transaction", "pool-inactive"))
		if !okNext {
			failedNext++
			t.Errorf("round %d: after %v, the next command %v\n%s", round, args, r, r.stdout)
		}
		roundOK := okNext
		if s := f.stalled(); s != "" {
			if strings.Contains(s, "metadata snapshot") {
				held++
			} else {
				suspended++
			}
			roundOK = false
			t.Errorf("round %d: after %v killed and %v: %s", round, args, next, s)
		}
		// The next writer finishes or rolls back the rest.
		if r := f.runDmctl(nil, "pool", "activate"); r.code != 0 {
			roundOK = false
			t.Errorf("round %d: pool activate after %v: %v", round, args, r)
		}
		if _, err := os.Stat(filepath.Join(f.root, "metadata", "transaction-metadata")); err == nil {
			roundOK = false
			t.Errorf("round %d: transaction left open after %v", round, args)
		}
		if r := f.runDmctl(nil, "check"); r.code != 0 {
			roundOK = false
			if strings.Contains(r.stdout, "orphan-thin-id") {
				leaked++
			}
			if strings.Contains(r.stdout, "lost-device") {
				lost++
			}
			t.Errorf("round %d: check after %v: %v\n%s", round, args, r, r.stdout)
		}
		after := f.deviceIDs()
		for id := range before {
			if !after[id] && !(args[0] == "snapshot" && args[1] == "rm" && args[2] == id) {
				lost++
				roundOK = false
				t.Errorf("round %d: device %s lost after %v", round, id, args)
			}
		}
		// The round's device goes back to rest (the others never left it).
		if id := args[len(args)-1]; after[id] && id != "origin" {
			f.try("umount", id)
			f.try("deactivate", id)
		}
		f.must("activate", "origin")
		if roundOK {
			recovered++
		}
	}
	checkData(t, strings.TrimSpace(f.must("mount", "keeper")), sum)
	f.must("umount", "keeper")
	f.must("deactivate", "origin")

	// pool create and pool destroy, on roots of their own.
	const sideRounds = 3
	for i := range 2 * sideRounds {
		g := &poolFixture{t: t, root: filepath.Join(t.TempDir(), "side"), word: fmt.Sprintf("%s-s%d", f.word, i)}
		t.Cleanup(func() { g.try("pool", "destroy", "--yes", "--force") })
		create := []string{"pool", "create", "--data-size", "256M", "--metadata-size", "16M", "--base-size", "32M", "--fs", "ext4"}
		name, args := "pool create", create
		if i >= sideRounds {
			g.must(create...)
			name, args = "pool destroy", []string{"pool", "destroy", "--yes"}
		}
		d := took[name]
		if d == 0 {
			d = 3 * time.Second
		}
		delay := time.Duration(rng.Int64N(int64(d)))
		cmd, _ := g.startDmctl(args...)
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil {
			killedMid++
		}
		perOp[name]++
		roundOK := true
		// The next command finishes the job: create again (or activate
		// what was made), or destroy again.
		var next result
		if name == "pool create" {
			if next = g.runDmctl(nil, "pool", "activate"); next.code != 0 {
				next = g.runDmctl(nil, create...)
			}
		} else {
			next = g.runDmctl(nil, args...)
			if next.code == 1 && strings.Contains(next.stderr, "no pool") && strings.TrimSpace(g.must("--output", "json", "pool", "ls")) == "[]" {
				next.code = 0 // the kill came after the last file went: nothing is left to destroy
			}
		}
		if next.code != 0 {
			roundOK = false
			t.Errorf("%s killed after %v: the next command %v", name, delay, next)
		}
		if s := g.stalled(); s != "" {
			roundOK = false
			suspended++
			t.Errorf("%s killed after %v: %s", name, delay, s)
		}
		if name == "pool create" {
			if r := g.runDmctl(nil, "check"); r.code != 0 {
				roundOK = false
				t.Errorf("%s killed after %v: check %v\n%s", name, delay, r, r.stdout)
			}
			g.must("pool", "destroy", "--yes")
		}
		for _, n := range dmNames(t) {
			if strings.HasPrefix(n, g.word) {
				roundOK = false
				t.Errorf("%s killed after %v: device %s left after the pool was destroyed", name, delay, n)
			}
		}
		if roundOK {
			recovered++
		}
	}
	total := rounds + 2*sideRounds

	ids, err := f.verifyAtRest()
	atRest := fmt.Sprintf("thin_check clean, device files' thin ids = thin_ls's (%d ids)", ids)
	if err != nil {
		atRest = "MISMATCH: " + err.Error()
		t.Error(err)
	}
	var per []string
	for _, o := range ops {
		per = append(per, fmt.Sprintf("%s %d", o.name, perOp[o.name]))
	}
	per = append(per, fmt.Sprintf("pool create %d", perOp["pool create"]), fmt.Sprintf("pool destroy %d", perOp["pool destroy"]))
	if killedMid < wantKills {
		t.Errorf("only %d of %d rounds killed a command in its middle, want %d", killedMid, total, wantKills)
	}
	figure("(2) random SIGKILL: %d rounds (%s), %d killed mid-command, the others just after: the next command recovered by itself %d/%d, failed next commands %d, lost ids %d, leaked ids %d, left suspended %d, metadata snapshots left held %d; data of the untouched device intact; %s",
		total, strings.Join(per, ", "), killedMid, recovered, total, failedNext, lost, leaked, suspended, held, atRest)
}

// onlyFindings reports whether check's table output lists findings of the
// given kinds only.
func onlyFindings(out string, kinds ...string) bool {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		return false
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 || !slices.Contains(kinds, f[0]) {
			return false
		}
	}
	return true
}

// faultPool is a direct pool on two device-mapper devices the test can
// switch to error or flakey tables under the pool.
type faultPool struct {
	*poolFixture
	meta, data       string // device-mapper names under the pool
	metaLoop         string // loop device under meta
	dataLoop         string // loop device under data
	metaSec, dataSec uint64 // current lengths in sectors
}

// newFaultPool makes a direct pool of dataMiB data and metaMiB metadata on
// linear devices over loop files (of 1 GiB and 64 MiB, so they can grow).
func newFaultPool(t *testing.T, dataMiB, metaMiB uint64) *faultPool {
	t.Helper()
	f := newPoolFixture(t)
	p := &faultPool{poolFixture: f, meta: f.word + "-fmeta", data: f.word + "-fdata",
		metaLoop: dmtest.LoopFile(t, 64<<20).Path, dataLoop: dmtest.LoopFile(t, 1<<30).Path,
		metaSec: metaMiB << 11, dataSec: dataMiB << 11}
	dmtest.Dmsetup(t, "create", p.meta, "--table", p.linear(p.metaLoop, p.metaSec))
	dmtest.Dmsetup(t, "create", p.data, "--table", p.linear(p.dataLoop, p.dataSec))
	dmtest.Dmsetup(t, "mknodes")
	t.Cleanup(func() {
		f.try("pool", "deactivate", "--force")
		dmtest.RunDmsetup("remove", p.meta)
		dmtest.RunDmsetup("remove", p.data)
	})
	f.must("pool", "create", "--data-dev", "/dev/mapper/"+p.data, "--metadata-dev", "/dev/mapper/"+p.meta,
		"--base-size", "64M", "--fs", "ext4", "--force")
	return p
}

func (p *faultPool) linear(loop string, sectors uint64) string {
	return fmt.Sprintf("0 %d linear %s 0", sectors, loop)
}

// switchTable replaces the table of a device under the pool, as a failing
// disk or an admin would.
func (p *faultPool) switchTable(name, table string) {
	p.t.Helper()
	dmtest.Dmsetup(p.t, "suspend", "--noflush", name)
	dmtest.Dmsetup(p.t, "load", name, "--table", table)
	dmtest.Dmsetup(p.t, "resume", name)
}

// poolMode returns the pool's mode word from dmsetup status.
func (p *faultPool) poolMode() string {
	p.t.Helper()
	st := strings.Fields(dmtest.Dmsetup(p.t, "status", p.poolName()))
	if len(st) < 8 {
		return strings.Join(st[3:], " ")
	}
	return st[7] + map[bool]string{true: ",needs_check", false: ""}[len(st) > 10 && st[10] == "needs_check"]
}

// faultTally counts the commands run under faults.
type faultTally struct {
	commands, clear, hung int
	longest               time.Duration
	unclear               []string
}

// battery runs the commands an admin would reach for on a pool in trouble:
// each must end within the suite's bound and either succeed or fail with
// one line.
func (p *faultPool) battery(tally *faultTally, extra ...[]string) {
	p.t.Helper()
	cmds := [][]string{
		{"snapshot", "create", "during"}, {"snapshot", "ls"}, {"check"}, {"info"}, {"status"},
		{"trim"}, {"pool", "extend"}, {"activate", "keep"}, {"deactivate", "keep"}, {"snapshot", "rm", "during"},
	}
	for _, args := range append(cmds, extra...) {
		mode := p.poolMode()
		r := p.runDmctl(nil, args...)
		tally.commands++
		if args[0] == "info" && strings.HasPrefix(mode, "Fail") && r.code == 0 && !strings.Contains(r.stdout, "Data Space Used: unknown") {
			p.t.Errorf("info of a failed pool shows figures it does not have:\n%s", r.stdout)
		}
		tally.longest = max(tally.longest, r.took)
		switch {
		case r.hung:
			tally.hung++
			p.t.Errorf("under fault (pool %s): %v: did not end within %v", p.poolMode(), r.args, commandTimeout)
		case r.code == 0 || r.oneLine():
			tally.clear++
		default:
			tally.unclear = append(tally.unclear, r.String())
			p.t.Errorf("under fault (pool %s): %v: not one clear line", p.poolMode(), r)
		}
		p.t.Logf("under fault (pool %s): %v", p.poolMode(), r)
	}
}

// stateFilesIntact checks that every state file still parses as dmctl
// wrote it and that the devices made before the fault are still recorded
// as they were.
func (p *faultPool) stateFilesIntact(before map[string][]byte) bool {
	p.t.Helper()
	ok := true
	for name, b := range before {
		now, err := os.ReadFile(filepath.Join(p.root, "metadata", name))
		if err != nil || !bytes.Equal(now, b) {
			p.t.Errorf("state file %s changed under a fault: %v\nbefore %s\nafter  %s", name, err, b, now)
			ok = false
		}
	}
	return ok
}

// readState returns the content of the state files that must survive.
func (p *faultPool) readState(names ...string) map[string][]byte {
	p.t.Helper()
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(p.root, "metadata", n))
		if err != nil {
			p.t.Fatal(err)
		}
		out[n] = b
	}
	return out
}

// TestReliabilityFaults breaks the devices under a pool while it works:
// the metadata and data devices switched to error and to flakey tables
// (writes failing or silently dropped) in the middle of a write, data
// space exhausted by a writer, metadata space exhausted by thin devices.
// Every command must end within a bounded time with one clear line, no
// state file may be corrupted, and space exhaustion must be recoverable
// with pool extend.
func TestReliabilityFaults(t *testing.T) {
	var tally faultTally
	var scenarios, intact, recovered, recoverable int
	type scenario struct {
		name  string
		on    func(p *faultPool) string // the device to break
		table func(p *faultPool) string // its table while broken
		// repairable: the pool comes back once the device works and the
		// metadata is checked (error tables fail writes loudly); flakey
		// drop_writes loses writes silently, and dmctl must refuse the
		// damaged metadata instead.
		repairable bool
	}
	for _, sc := range []scenario{
		{"metadata error", func(p *faultPool) string { return p.meta }, func(p *faultPool) string { return fmt.Sprintf("0 %d error", p.metaSec) }, true},
		{"metadata flakey error_writes", func(p *faultPool) string { return p.meta },
			func(p *faultPool) string {
				return fmt.Sprintf("0 %d flakey %s 0 0 1 1 error_writes", p.metaSec, p.metaLoop)
			}, true},
		{"metadata flakey drop_writes", func(p *faultPool) string { return p.meta },
			func(p *faultPool) string {
				return fmt.Sprintf("0 %d flakey %s 0 0 1 1 drop_writes", p.metaSec, p.metaLoop)
			}, false},
		{"data error", func(p *faultPool) string { return p.data }, func(p *faultPool) string { return fmt.Sprintf("0 %d error", p.dataSec) }, true},
		{"data flakey drop_writes", func(p *faultPool) string { return p.data },
			func(p *faultPool) string {
				return fmt.Sprintf("0 %d flakey %s 0 0 1 1 drop_writes", p.dataSec, p.dataLoop)
			}, true},
	} {
		t.Run(sc.name, func(t *testing.T) {
			scenarios++
			p := newFaultPool(t, 256, 16)
			p.t = t
			p.must("snapshot", "create", "keep")
			sum := writeData(t, strings.TrimSpace(p.must("mount", "keep")))
			p.must("umount", "keep")
			p.must("snapshot", "create", "work")
			mnt := strings.TrimSpace(p.must("mount", "work"))
			before := p.readState("keep", "work", "base", "dmctl-pool.json")

			// Break the device in the middle of a write and a create.
			writer := exec.Command("dd", "if=/dev/zero", "of="+filepath.Join(mnt, "big"), "bs=1M", "count=48", "conv=fsync")
			if err := writer.Start(); err != nil {
				t.Fatal(err)
			}
			create, _ := p.startDmctl("snapshot", "create", "mid")
			time.Sleep(300 * time.Millisecond)
			p.switchTable(sc.on(p), sc.table(p))
			werr := make(chan error, 1)
			go func() { werr <- writer.Wait() }()
			create.Wait()
			p.battery(&tally)
			select {
			case <-werr:
			case <-time.After(2 * time.Minute):
				writer.Process.Kill()
				<-werr
			}
			t.Logf("%s: pool %s", sc.name, p.poolMode())
			if p.stateFilesIntact(before) {
				intact++
			}

			// Repair the device, and bring the pool back as an admin would.
			// A metadata device that comes back larger: a pool whose
			// metadata needs checking does not grow, and extend says so
			// instead of succeeding.
			if sc.on(p) == p.meta {
				p.metaSec *= 2
			}
			p.switchTable(sc.on(p), p.linear(map[bool]string{true: p.metaLoop, false: p.dataLoop}[sc.on(p) == p.meta],
				map[bool]uint64{true: p.metaSec, false: p.dataSec}[sc.on(p) == p.meta]))
			if mode := p.poolMode(); sc.on(p) == p.meta && strings.Contains(mode, "needs_check") {
				r := p.runDmctl(nil, "pool", "extend")
				if r.code == 0 || !r.oneLine() || !strings.Contains(r.stderr, "did not grow") {
					t.Errorf("pool extend of a %s pool whose metadata device grew: %v, want one line saying it did not grow", mode, r)
				}
			}
			exec.Command("umount", "-l", mnt).Run()
			r := p.runDmctl(nil, "pool", "deactivate", "--force")
			if r.code != 0 && !r.oneLine() {
				t.Errorf("pool deactivate after %s: %v", sc.name, r)
			}
			exec.Command("thin_check", "--clear-needs-check-flag", "/dev/mapper/"+p.meta).Run()
			r = p.runDmctl(nil, "pool", "activate")
			if !sc.repairable {
				// Lost writes: dmctl must not load what it cannot read.
				if r.code == 0 {
					if out, err := exec.Command("thin_check", "/dev/mapper/"+p.meta).CombinedOutput(); err != nil {
						t.Errorf("pool activate over metadata thin_check rejects = exit 0 (thin_check: %s)", out)
						return
					}
				} else if !r.oneLine() || !strings.Contains(r.stderr, "thin_repair") {
					t.Errorf("pool activate over damaged metadata: %v, want one line pointing at thin_repair", r)
					return
				}
				recovered++ // refused clearly, or the metadata survived
				return
			}
			if r.code != 0 {
				t.Errorf("pool activate after %s was repaired: %v", sc.name, r)
				return
			}
			if r := p.runDmctl(nil, "check"); r.code != 0 {
				t.Errorf("check after %s was repaired: %v\n%s", sc.name, r, r.stdout)
				return
			}
			checkData(t, strings.TrimSpace(p.must("mount", "keep")), sum)
			p.must("umount", "keep")
			recovered++
		})
	}

	// Data space exhausted by a writer; recovered by growing the data
	// device and pool extend.
	t.Run("data space exhausted", func(t *testing.T) {
		scenarios++
		recoverable++
		p := newFaultPool(t, 96, 16)
		p.t = t
		// Larger than the pool, which dmctl allows (with a warning): thin
		// provisioning.
		if r := p.runDmctl(nil, "snapshot", "create", "work", "--size", "256M"); r.code != 0 || !strings.Contains(r.stderr, "warning") {
			t.Fatalf("%v, want a warning that the device is larger than the pool", r)
		}
		p.must("activate", "work")
		before := p.readState("work", "base", "dmctl-pool.json")
		writer := exec.Command("dd", "if=/dev/zero", "of="+p.poolDevicePath("work"), "bs=1M", "count=200", "oflag=direct")
		if err := writer.Start(); err != nil {
			t.Fatal(err)
		}
		werr := make(chan error, 1)
		go func() { werr <- writer.Wait() }()
		deadline := time.Now().Add(90 * time.Second)
		for !strings.HasPrefix(p.poolMode(), "out_of_data_space") && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
		}
		if !strings.HasPrefix(p.poolMode(), "out_of_data_space") {
			t.Fatalf("pool mode %s, want out_of_data_space", p.poolMode())
		}
		p.battery(&tally)
		if p.stateFilesIntact(before) {
			intact++
		}
		// Grow the data device, then the pool.
		p.dataSec = 512 << 11
		p.switchTable(p.data, p.linear(p.dataLoop, p.dataSec))
		r := p.runDmctl(nil, "pool", "extend")
		select {
		case err := <-werr:
			t.Logf("writer after the extend: %v", err)
		case <-time.After(2 * time.Minute):
			writer.Process.Kill()
			<-werr
			t.Errorf("the writer still waits after pool extend")
		}
		if r.code != 0 || p.poolMode() != "rw" {
			t.Errorf("pool extend of a pool out of data space: %v, mode %s", r, p.poolMode())
			return
		}
		if r := p.runDmctl(nil, "check"); r.code != 0 {
			t.Errorf("check after the extend: %v\n%s", r, r.stdout)
			return
		}
		p.must("deactivate", "work")
		recovered++
	})

	// Metadata space exhausted by thin devices; recovered by growing the
	// metadata device and pool extend.
	t.Run("metadata space exhausted", func(t *testing.T) {
		scenarios++
		recoverable++
		ctl := dmtest.Require(t, "thin-pool")
		p := newFaultPool(t, 256, 1)
		p.t = t
		pl := p.poolName()
		before := p.readState("base", "dmctl-pool.json")
		var made []int
		for id := 1000; id < 3000 && strings.HasPrefix(p.poolMode(), "rw"); id++ {
			if _, err := ctl.Message(pl, 0, fmt.Sprintf("create_thin %d", id)); err != nil {
				t.Logf("create_thin %d: %v", id, err)
				break
			}
			made = append(made, id)
		}
		t.Logf("metadata full after %d thin devices: pool %s", len(made), p.poolMode())
		p.battery(&tally)
		if p.stateFilesIntact(before) {
			intact++
		}
		p.metaSec = 32 << 11
		p.switchTable(p.meta, p.linear(p.metaLoop, p.metaSec))
		r := p.runDmctl(nil, "pool", "extend")
		t.Logf("pool extend: %v; pool %s", r, p.poolMode())
		if r.code != 0 || p.poolMode() != "rw" {
			// The kernel grows metadata that needs checking only once it
			// is repaired: dmctl must say so rather than succeed.
			if r.code == 0 || !r.oneLine() {
				t.Errorf("pool extend of a pool out of metadata space: %v, mode %s", r, p.poolMode())
			}
			return
		}
		for _, id := range made {
			ctl.Message(pl, 0, fmt.Sprintf("delete %d", id))
		}
		if r := p.runDmctl(nil, "check"); r.code != 0 {
			t.Errorf("check after the extend: %v\n%s", r, r.stdout)
			return
		}
		recovered++
	})
	figure("(3) faults under the pool: %d scenarios (metadata error, metadata flakey error_writes and drop_writes, data error, data flakey drop_writes, each switched in mid-write and mid-create; data space and metadata space exhausted); %d commands run under fault: %d ended with success or one clear line, %d hung (longest %v); state files intact %d/%d; pools back in service or damaged metadata refused %d/%d (space exhaustion recovered by extend: counted among them, %d scenarios)",
		scenarios, tally.commands, tally.clear, tally.hung, tally.longest.Round(100*time.Millisecond), intact, scenarios, recovered, scenarios, recoverable)
}
