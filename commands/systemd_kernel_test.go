//go:build linux

package commands_test

// Kernel test of the systemd unit templates in scripts/: the guest has no
// systemd, so the test does what systemd does with them for one root (the
// instance): it checks the ordering and conditions, then runs the pool
// unit's ExecStart, the monitor unit's ExecStart as its service process,
// stops that with the unit's KillSignal within TimeoutStopSec, and runs
// the pool unit's ExecStop.
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run SystemdUnits ./commands

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// systemdUnit is a unit file: section → key → values, in order.
type systemdUnit map[string]map[string][]string

// readUnit parses a unit file of scripts/.
func readUnit(t *testing.T, name string) systemdUnit {
	t.Helper()
	fd, err := os.Open(filepath.Join("..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	u := systemdUnit{}
	section := ""
	sc := bufio.NewScanner(fd)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			key, val, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: not a unit file line: %q", name, line)
			}
			u[section][key] = append(u[section][key], val)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the single value of a key, failing the test otherwise.
func (u systemdUnit) one(t *testing.T, section, key string) string {
	t.Helper()
	v := u[section][key]
	if len(v) != 1 {
		t.Fatalf("[%s] %s = %q, want one value", section, key, v)
	}
	return v[0]
}

// words returns the space-separated words of every value of a key.
func (u systemdUnit) words(section, key string) []string {
	var out []string
	for _, v := range u[section][key] {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// unitCommand turns an Exec line of a unit into a command for root: %f
// is the root, and the installed dmctl is the test binary.
func unitCommand(t *testing.T, line, root string) *exec.Cmd {
	t.Helper()
	args := strings.Fields(strings.ReplaceAll(line, "%f", root))
	if len(args) == 0 || args[0] != "/usr/local/sbin/dmctl" {
		t.Fatalf("Exec line %q does not run /usr/local/sbin/dmctl (what make install rewrites)", line)
	}
	cmd := exec.Command(os.Args[0], args[1:]...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	return cmd
}

// TestSystemdUnits runs the pool monitor unit for a root after its pool
// unit, as systemd would.
func TestSystemdUnits(t *testing.T) {
	poolUnit := readUnit(t, "dmctl-pool@.service")
	monUnit := readUnit(t, "dmctl-pool-monitor@.service")
	const poolInstance = "dmctl-pool@%i.service"
	for _, key := range []string{"After", "Requires", "PartOf"} {
		if !slices.Contains(monUnit.words("Unit", key), poolInstance) {
			t.Errorf("monitor unit: %s= %q, want %s", key, monUnit.words("Unit", key), poolInstance)
		}
	}
	if got := monUnit.one(t, "Install", "WantedBy"); got != poolUnit.one(t, "Install", "WantedBy") {
		t.Errorf("monitor unit is wanted by %s, the pool unit by %s", got, poolUnit.one(t, "Install", "WantedBy"))
	}
	if got := monUnit.one(t, "Service", "KillSignal"); got != "SIGTERM" {
		t.Errorf("monitor unit KillSignal=%s, want SIGTERM (the monitor's clean stop)", got)
	}
	stopTimeout, err := time.ParseDuration(strings.Replace(monUnit.one(t, "Service", "TimeoutStopSec"), "min", "m", 1))
	if err != nil {
		t.Fatalf("monitor unit TimeoutStopSec: %v", err)
	}

	f := newPoolFixture(t)
	f.must("pool", "create", "--data-size", "256M", "--metadata-size", "16M", "--base-size", "64M", "--fs", "ext4")
	f.must("pool", "deactivate")
	for name, u := range map[string]systemdUnit{"pool": poolUnit, "monitor": monUnit} {
		for _, cond := range u.words("Unit", "ConditionPathExists") {
			if _, err := os.Stat(strings.ReplaceAll(cond, "%f", f.root)); err != nil {
				t.Fatalf("%s unit's ConditionPathExists=%s fails for a pool's root: %v", name, cond, err)
			}
		}
	}

	// systemd starts the pool unit ...
	if out, err := unitCommand(t, poolUnit.one(t, "Service", "ExecStart"), f.root).CombinedOutput(); err != nil {
		t.Fatalf("pool unit ExecStart: %v: %s", err, out)
	}
	name := f.poolName()
	if st := readPoolState(name); st.mode != "rw" {
		t.Fatalf("pool after the pool unit started: %+v", st)
	}
	// ... then the monitor's service process, which watches the pool.
	mon := unitCommand(t, monUnit.one(t, "Service", "ExecStart"), f.root)
	var stderr, stdout syncBuffer
	mon.Stdout, mon.Stderr = &stdout, &stderr
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mon.Wait() }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			mon.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(stderr.String(), "low water mark set"); {
		select {
		case err := <-done:
			t.Fatalf("the monitor unit's process exited (%v): %s", err, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the monitor unit's process did not watch the pool in 2 minutes: %s", stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "watching "+f.root) {
		t.Errorf("the monitor unit's process does not watch %s: %s", f.root, stderr.String())
	}
	// systemctl stop: the unit's KillSignal, then SIGKILL after TimeoutStopSec.
	if err := mon.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("the monitor unit's process after SIGTERM: %v, want exit 0: %s", err, stderr.String())
		}
	case <-time.After(stopTimeout):
		t.Fatalf("the monitor unit's process did not stop within TimeoutStopSec (%v): %s", stopTimeout, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "dmctl monitor: stopped") {
		t.Errorf("the monitor's last line is %q, want it stopped", last)
	}
	if stdout.String() != "" {
		t.Errorf("the monitor wrote to standard output (the journal takes standard error): %q", stdout.String())
	}
	// Then systemd stops the pool unit.
	if out, err := unitCommand(t, poolUnit.one(t, "Service", "ExecStop"), f.root).CombinedOutput(); err != nil {
		t.Fatalf("pool unit ExecStop: %v: %s", err, out)
	}
	if st := readPoolState(name); st.errorReading == "" {
		t.Errorf("pool after the pool unit stopped: %+v, want it gone", st)
	}
}
