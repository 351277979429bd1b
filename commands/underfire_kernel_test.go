//go:build linux

package commands_test

// Kernel tests of a root under attack and of commands interrupted while
// they hold kernel state: symbolic links and a hostile root, state files
// that name paths or programs, a pool or device left suspended, a
// metadata snapshot left held, and signals. Run them with make vmtest, or
// by hand:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestUnderFire ./commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl/dmtest"
	"github.com/dmctl/dmctl/pool"
)

// proc runs dmctl as a process on the fixture's pool with extra
// environment variables.
func (f *poolFixture) proc(env []string, args ...string) (stdout, stderr string, code int) {
	f.t.Helper()
	cmd := exec.Command(os.Args[0], f.args(args...)...)
	cmd.Env = append(append(os.Environ(), mainEnv+"=1"), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			f.t.Fatalf("run dmctl %s: %v", strings.Join(args, " "), err)
		}
		return out.String(), errOut.String(), ee.ExitCode()
	}
	return out.String(), errOut.String(), 0
}

// dmAttr returns dmsetup's 4-letter state of a device: L/I/s/r.
func dmAttr(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(dmtest.Dmsetup(t, "info", "-c", "--noheadings", "-o", "attr", name))
}

// stalled describes what a dmctl left that blocks or holds the pool: a
// suspended device or one with an inactive table among the fixture's
// devices, and a held metadata snapshot. Empty means nothing. (Two
// dmsetup runs, whatever the number of devices.)
func (f *poolFixture) stalled() string {
	f.t.Helper()
	var out []string
	info := dmtest.Dmsetup(f.t, "info", "-c", "--noheadings", "-o", "name,attr", "--separator", " ")
	if !strings.HasPrefix(info, "No devices found") {
		for _, l := range strings.Split(strings.TrimSpace(info), "\n") {
			fs := strings.Fields(l)
			if len(fs) == 2 && strings.HasPrefix(fs[0], f.word) && strings.ContainsAny(fs[1], "sI") {
				out = append(out, fs[0]+" "+fs[1])
			}
		}
	}
	status := dmtest.Dmsetup(f.t, "status", "--target", "thin-pool")
	for _, l := range strings.Split(strings.TrimSpace(status), "\n") {
		// name: 0 len thin-pool txn meta data held ...
		fs := strings.Fields(l)
		if len(fs) > 7 && strings.HasPrefix(fs[0], f.word) && fs[3] == "thin-pool" && fs[7] != "-" {
			out = append(out, strings.TrimSuffix(fs[0], ":")+" holds metadata snapshot "+fs[7])
		}
	}
	return strings.Join(out, "; ")
}

// TestUnderFireLinks plants symbolic links in a root: as a device file
// (a second name for another device's thin id) and as the lock file
// (pointing at a file outside the root). dmctl follows neither: the
// commands that meet them fail with one line, the link's target is
// untouched, and check reports the links, which check --repair removes.
func TestUnderFireLinks(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "a1")
	sum := writeData(t, strings.TrimSpace(f.must("mount", "a1")))
	f.must("umount", "a1")
	meta := filepath.Join(f.root, "metadata")
	if err := os.Symlink("a1", filepath.Join(meta, "evil")); err != nil {
		t.Fatal(err)
	}
	f.refused([]int{1}, []string{"symbolic link"}, "activate", "evil")
	f.refused([]int{1}, []string{"symbolic link"}, "mount", "evil")
	f.refused([]int{1}, []string{"symbolic link"}, "snapshot", "rm", "evil")
	out, _, code := f.try("check")
	if code == 0 || !strings.Contains(out, "link-in-root") {
		t.Errorf("check with a link in the root = exit %d:\n%s\nwant link-in-root", code, out)
	}
	f.must("check", "--repair")
	if _, err := os.Lstat(filepath.Join(meta, "evil")); !os.IsNotExist(err) {
		t.Errorf("check --repair left the link: %v", err)
	}
	checkData(t, strings.TrimSpace(f.must("mount", "a1")), sum)
	f.must("umount", "a1")

	// The lock file as a link to a file outside the root: nothing may
	// open, truncate or write it.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(meta, ".dmctl.lock")
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"snapshot", "ls"}, {"snapshot", "create", "x"}, {"pool", "deactivate"}, {"info"}, {"check"}} {
		_, errOut, code := f.try(args...)
		if code == 0 {
			t.Errorf("dmctl %s with the lock file a link = exit 0, want a refusal", strings.Join(args, " "))
		}
		checkErrorLine(t, strings.Join(args, " "), errOut)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "precious\n" {
		t.Errorf("the lock link's target = %q, %v; want it untouched", b, err)
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	f.must("check")
}

// TestUnderFireHostileRoot gives dmctl a root another user could write,
// and state files that name paths and programs: dmctl refuses the root,
// treats a device name in transaction-metadata as a name and never a
// path, never runs mkfs with arguments read from a state file, and never
// finds mkfs through $PATH.
func TestUnderFireHostileRoot(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")

	for _, tc := range []struct {
		name  string
		apply func() error
		undo  func() error
		want  string
	}{
		{"root mode 0777", func() error { return os.Chmod(f.root, 0o777) }, func() error { return os.Chmod(f.root, 0o700) }, "writable by group or others"},
		{"metadata mode 0775", func() error { return os.Chmod(filepath.Join(f.root, "metadata"), 0o775) },
			func() error { return os.Chmod(filepath.Join(f.root, "metadata"), 0o700) }, "writable by group or others"},
		{"root owned by uid 1000", func() error { return os.Chown(f.root, 1000, 1000) }, func() error { return os.Chown(f.root, 0, 0) }, "owned by uid 1000"},
	} {
		if err := tc.apply(); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"snapshot", "ls"}, {"pool", "activate"}, {"snapshot", "create", "x"}} {
			_, errOut, code := f.try(args...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s: dmctl %s = exit %d, stderr %q; want a refusal saying %q", tc.name, strings.Join(args, " "), code, errOut, tc.want)
			}
			checkErrorLine(t, tc.name, errOut)
		}
		if err := tc.undo(); err != nil {
			t.Fatal(err)
		}
	}
	f.must("check")

	// transaction-metadata naming a path: recovery must not follow it.
	victim := filepath.Join(t.TempDir(), "victim.json")
	if err := os.WriteFile(victim, []byte(`{"device_id":1,"size":1024}`), 0o600); err != nil {
		t.Fatal(err)
	}
	txn := filepath.Join(f.root, "metadata", "transaction-metadata")
	rel, _ := filepath.Rel(filepath.Join(f.root, "metadata"), victim)
	b, _ := json.Marshal(map[string]any{"open_transaction_id": 1000, "device_hash": rel, "device_id": 1})
	if err := os.WriteFile(txn, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := f.try("snapshot", "create", "y")
	if code == 0 || !strings.Contains(errOut, "device_hash") {
		t.Errorf("snapshot create with device_hash %q = exit %d, stderr %q; want a refusal naming device_hash", rel, code, errOut)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("recovery removed %s: %v", victim, err)
	}
	if err := os.Remove(txn); err != nil {
		t.Fatal(err)
	}

	// mkfs arguments in dmctl-pool.json and an uninitialized base: the
	// base is made again by pool activate, with dmctl's own arguments.
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.MkdirAll(secret, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secret, "root-only.txt"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	editJSON(t, filepath.Join(f.root, "metadata", "dmctl-pool.json"), func(m map[string]any) {
		m["config"].(map[string]any)["mkfs_args"] = []string{"-d", secret}
	})
	editJSON(t, filepath.Join(f.root, "metadata", "base"), func(m map[string]any) { m["initialized"] = false })
	// A mkfs.ext4 first in $PATH that leaves a mark when it runs.
	bin := t.TempDir()
	mark := filepath.Join(t.TempDir(), "ran")
	if err := os.WriteFile(filepath.Join(bin, "mkfs.ext4"), []byte("#!/bin/sh\ntouch "+mark+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := f.proc([]string{"PATH=" + bin + ":" + os.Getenv("PATH")}, "pool", "activate")
	if code != 0 {
		t.Fatalf("pool activate (base to make again) = exit %d: %s%s", code, out, errOut)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("pool activate ran mkfs.ext4 from $PATH")
	}
	f.must("snapshot", "create", "z")
	mnt := strings.TrimSpace(f.must("mount", "z"))
	if _, err := os.Stat(filepath.Join(mnt, "root-only.txt")); err == nil {
		t.Errorf("the base was made with mkfs arguments from dmctl-pool.json: %s/root-only.txt exists", mnt)
	}
	f.must("umount", "z")
	f.must("check")
}

// editJSON rewrites a JSON object file through edit.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUnderFireStalled kills dmctl with SIGKILL while it has the pool
// suspended (trim, extend), a table loaded but not live (extend) and the
// pool's metadata snapshot reserved (a reader): the next command, a
// reader each time, resumes, clears or releases what was left, and check
// finds the pool consistent. A pool suspended by someone else is left
// suspended but reported, and changes wait for it.
func TestUnderFireStalled(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	f.must("snapshot", "create", "a")
	pl := f.poolName()
	size := 1 << 30
	readers := [][]string{{"snapshot", "ls"}, {"info"}, {"pool", "ls"}, {"check"}}
	for i, step := range pool.StallSteps() {
		var op []string
		switch {
		case strings.HasPrefix(step, "trim:"):
			op = []string{"trim"}
		case strings.HasPrefix(step, "extend:"):
			size += 64 << 20
			op = []string{"pool", "extend", "--data-size", fmt.Sprint(size)}
		default:
			op = []string{"snapshot", "ls"}
		}
		_, errOut, code := f.proc([]string{pool.CrashEnv + "=" + step}, op...)
		if code != -1 {
			t.Fatalf("%v with %s=%s = exit %d (%s), want killed", op, pool.CrashEnv, step, code, errOut)
		}
		if s := f.stalled(); s == "" {
			t.Errorf("%v killed at %s left nothing to undo: the step is not reached", op, step)
		}
		reader := readers[i%len(readers)]
		if _, errOut, code := f.try(reader...); code != 0 {
			t.Errorf("%v after %v killed at %s = exit %d: %s", reader, op, step, code, errOut)
		}
		if s := f.stalled(); s != "" {
			t.Errorf("after %v killed at %s and %v: still %s", op, step, reader, s)
		}
		f.must("check")
	}

	// Suspended by the admin: reported loudly, left alone, changes wait.
	dmtest.Dmsetup(t, "suspend", pl)
	out, _, code := f.try("check")
	if code == 0 || !strings.Contains(out, "SUSPENDED") {
		t.Errorf("check on a pool suspended by hand = exit %d:\n%s\nwant it reported", code, out)
	}
	if _, errOut, _ := f.try("info"); !strings.Contains(errOut, "SUSPENDED") {
		t.Errorf("info on a suspended pool: stderr %q, want a warning", errOut)
	}
	if _, errOut, _ := f.try("status"); !strings.Contains(errOut, "SUSPENDED") {
		t.Errorf("status with a suspended pool: stderr %q, want a warning", errOut)
	}
	f.refused([]int{1}, []string{"suspended"}, "snapshot", "create", "b")
	if !strings.Contains(dmAttr(t, pl), "s") {
		t.Errorf("dmctl resumed a pool suspended by hand")
	}
	// Mounting through the suspended pool would hang in the kernel.
	f.refused([]int{1}, []string{pl + " is suspended, and not by dmctl", "dmctl resume"}, "mount", "a")
	dmtest.Dmsetup(t, "resume", pl)
	f.must("snapshot", "create", "b")

	// A thin device suspended by the admin: I/O through it would hang
	// (uninterruptibly), so mount, umount, trim and snapshot rm of it
	// are refused, and all work once it is resumed.
	dev := strings.TrimSuffix(pl, "-pool") + "-a"
	f.must("activate", "a")
	dmtest.Dmsetup(t, "suspend", dev)
	susp := []string{dev + " is suspended, and not by dmctl", "dmctl resume " + dev}
	f.refused([]int{1}, susp, "mount", "a")
	f.refused([]int{1}, susp, "snapshot", "rm", "a")
	dmtest.Dmsetup(t, "resume", dev)
	// Mounted outside the root: refused's listing of the root must not
	// read the suspended filesystem.
	f.must("mount", "a", t.TempDir())
	dmtest.Dmsetup(t, "suspend", dev)
	f.refused([]int{1}, susp, "umount", "a")
	f.refused([]int{1}, susp, "trim")
	dmtest.Dmsetup(t, "resume", dev)
	f.must("umount", "a")
	f.must("check")

	// A device of the pool's left without a table (an activation killed
	// between its create and its load): check flags it, --repair removes it.
	half := strings.TrimSuffix(pl, "-pool") + "-b"
	dmtest.Dmsetup(t, "create", "--notable", half)
	out, _, code = f.try("check")
	if code == 0 || !strings.Contains(out, "half-made-device") {
		t.Errorf("check with a device without a table = exit %d:\n%s\nwant half-made-device", code, out)
	}
	f.must("check", "--repair")
	if slices.Contains(dmNames(t), half) {
		t.Errorf("check --repair left %s", half)
	}
	f.must("activate", "b")
}

// TestUnderFireSignals sends SIGTERM and SIGINT to trim while it has the
// pool suspended: dmctl resumes the pool before it exits, with 128 + the
// signal's number and one line.
func TestUnderFireSignals(t *testing.T) {
	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "1G", "--metadata-size", "32M", "--base-size", "128M", "--fs", "ext4")
	pl := f.poolName()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(os.Args[0], f.args("trim")...)
		cmd.Env = append(os.Environ(), mainEnv+"=1", pool.PauseEnv+"=trim:suspended")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(dmAttr(t, pl), "s") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 128+int(sig) {
			t.Errorf("trim interrupted by %v = %v, want exit %d (stderr %q)", sig, err, 128+int(sig), errOut.String())
		}
		lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(errOut.String(), "dmctl: paused at trim:suspended\n", "")), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "interrupted") {
			t.Errorf("trim interrupted by %v: stderr %q, want one line saying so", sig, errOut.String())
		}
		if s := f.stalled(); s != "" {
			t.Errorf("trim interrupted by %v left %s", sig, s)
		}
	}
	f.must("check")
}
