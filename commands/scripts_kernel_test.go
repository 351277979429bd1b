//go:build linux

package commands_test

// Kernel test of scripts/ci-provision.sh, with the test binary as dmctl:
// it creates a pool, activates it again, prints variables a shell can
// source (or an env file), and fails loudly, printing nothing, when a step
// fails. Run by hand with:
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run CIProvision ./commands

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// provision runs scripts/ci-provision.sh with args.
func provision(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	script, err := filepath.Abs("../scripts/ci-provision.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(requireTool(t, "bash"), append([]string{script}, args...)...)
	// A CI step may export DMCTL_OUTPUT=json for its own dmctl calls.
	cmd.Env = append(os.Environ(), "DMCTL="+os.Args[0], mainEnv+"=1", "DMCTL_OUTPUT=json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// sourced evaluates the script's output in bash and returns the variables
// it sets.
func sourced(t *testing.T, out string) map[string]string {
	t.Helper()
	names := []string{"DMCTL_ROOT", "DMCTL_POOL", "DMCTL_PREFIX", "DMCTL_BASE_DEVICE"}
	prog := out + "\nprintf '%s\\n' \"$DMCTL_ROOT\" \"$DMCTL_POOL\" \"$DMCTL_PREFIX\" \"$DMCTL_BASE_DEVICE\"\n"
	b, err := exec.Command(requireTool(t, "bash"), "-c", prog).Output()
	if err != nil {
		t.Fatalf("bash could not source %q: %v", out, err)
	}
	vals := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(vals) != len(names) {
		t.Fatalf("sourcing %q gave %q", out, vals)
	}
	m := map[string]string{}
	for i, n := range names {
		m[n] = vals[i]
	}
	return m
}

func TestKernelCIProvision(t *testing.T) {
	dmtest.Require(t, "thin-pool", "thin")
	// A root with a blank and a quote in its path: what the script prints
	// must survive the shell.
	root := filepath.Join(t.TempDir(), "ci pool's root")
	t.Cleanup(func() { run(t, "--root", root, "pool", "destroy", "--yes", "--force") })
	create := []string{"--data-size", "1G", "--metadata-size", "16M", "--base-size", "64M", "--fs", "ext4"}

	out, errOut, code := provision(t, append([]string{root}, create...)...)
	if code != 0 {
		t.Fatalf("ci-provision.sh = exit %d, stderr %q", code, errOut)
	}
	got := sourced(t, out)
	var pools []struct {
		Name   string `json:"pool_name"`
		Prefix string `json:"prefix"`
		Base   string `json:"base_device_path"`
		Root   string `json:"root"`
	}
	decodeJSON(t, mustRun(t, "--root", root, "--output", "json", "pool", "ls"), &pools)
	if len(pools) != 1 {
		t.Fatalf("pool ls = %+v", pools)
	}
	want := map[string]string{"DMCTL_ROOT": pools[0].Root, "DMCTL_POOL": pools[0].Name,
		"DMCTL_PREFIX": pools[0].Prefix, "DMCTL_BASE_DEVICE": pools[0].Base}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ci-provision.sh: %s = %q, want %q", k, got[k], v)
		}
	}
	if fi, err := os.Stat(got["DMCTL_BASE_DEVICE"]); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Errorf("base device %s: %v", got["DMCTL_BASE_DEVICE"], err)
	}

	// Again, after a reboot: the pool is activated, the same values come.
	mustRun(t, "--root", root, "pool", "deactivate")
	out, errOut, code = provision(t, "--env", root)
	if code != 0 {
		t.Fatalf("ci-provision.sh --env (activate) = exit %d, stderr %q", code, errOut)
	}
	wantEnv := ""
	for _, k := range []string{"DMCTL_ROOT", "DMCTL_POOL", "DMCTL_PREFIX", "DMCTL_BASE_DEVICE"} {
		wantEnv += k + "=" + want[k] + "\n"
	}
	if out != wantEnv {
		t.Errorf("ci-provision.sh --env = %q, want %q", out, wantEnv)
	}

	// A failing step: exit 1, a message, nothing for the next step.
	bad := filepath.Join(t.TempDir(), "bad")
	out, errOut, code = provision(t, bad, "--data-size", "lots")
	if code != 1 || out != "" || !strings.Contains(errOut, "ci-provision: dmctl pool create") {
		t.Errorf("ci-provision.sh with a bad option = exit %d, stdout %q, stderr %q; want exit 1, nothing, the failing step", code, out, errOut)
	}
}
