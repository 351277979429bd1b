//go:build linux

package pool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// mkfsCommands returns the mkfs command lines to try in turn to make fstype
// on device, with Docker's arguments: ext4 gets "-E nodiscard,
// lazy_itable_init=0,lazy_journal_init=0" (then, for old mke2fs, the same
// without lazy_journal_init); extra arguments (dm.mkfsarg) come before the
// device. Docker also ran "tune2fs -c -1 -i 0" after mkfs.ext4; mke2fs has
// made those the defaults since e2fsprogs 1.42, so dmctl does not.
func mkfsCommands(fstype, device string, extra []string) [][]string {
	with := func(args ...string) []string {
		cmd := append([]string{"mkfs." + fstype}, args...)
		cmd = append(cmd, extra...)
		return append(cmd, "--", device)
	}
	if fstype == FSExt4 {
		return [][]string{
			with("-E", "nodiscard,lazy_itable_init=0,lazy_journal_init=0"),
			with("-E", "nodiscard,lazy_itable_init=0"),
		}
	}
	return [][]string{with()}
}

// runMkfs runs the commands of mkfsCommands until one succeeds, and
// reports the last failure with the last line mkfs printed. The program
// is found by SystemProgram, never through $PATH, and runs with a fixed
// environment.
func runMkfs(fstype, device string, extra []string) error {
	if fstype != FSExt4 && fstype != FSXFS {
		return fmt.Errorf("make filesystem on %s: unsupported filesystem %q", device, fstype)
	}
	var lastErr error
	for _, argv := range mkfsCommands(fstype, device, extra) {
		prog, err := SystemProgram(argv[0])
		if err != nil {
			return fmt.Errorf("make %s filesystem on %s: %w", fstype, device, err)
		}
		cmd := exec.Command(prog, argv[1:]...)
		cmd.Env = systemEnv
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err = cmd.Run()
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
		if msg := outputSummary(out.String()); msg != "" {
			lastErr = fmt.Errorf("%w (%s)", lastErr, msg)
		}
		if exitErr := (*exec.ExitError)(nil); !errors.As(err, &exitErr) {
			break // not found or not runnable: another try cannot help
		}
	}
	return fmt.Errorf("make %s filesystem on %s: %w", fstype, device, lastErr)
}

// outputSummary returns the first and last non-empty lines of a
// program's output: mkfs.xfs states its complaint first and then prints
// its usage, mke2fs prints a banner first and its complaint last.
func outputSummary(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	switch len(lines) {
	case 0:
		return ""
	case 1:
		return lines[0]
	}
	return lines[0] + " ... " + lines[len(lines)-1]
}

// systemDirs are the only directories dmctl runs programs from (mkfs;
// nothing else of the kernel's work is done by programs), in this order.
var systemDirs = []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// systemEnv is the whole environment of the programs dmctl runs: nothing
// of the caller's (a MKE2FS_CONFIG or a PATH of its choosing) reaches
// them.
var systemEnv = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}

// SystemProgram returns the absolute path of the program name in the
// first of /usr/sbin, /sbin, /usr/bin and /bin that has it, never
// searching $PATH. The program (after links) must be a regular,
// executable file owned by root and writable by nobody else.
func SystemProgram(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, '/') {
		return "", fmt.Errorf("program %q: not a program name", name)
	}
	for _, dir := range systemDirs {
		path := filepath.Join(dir, name)
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			continue
		}
		fi, err := os.Stat(real)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || st.Uid != 0 || fi.Mode().Perm()&0o022 != 0 {
			return "", fmt.Errorf("program %s (%s) is not owned by root or is writable by others: refusing to run it", path, real)
		}
		return path, nil
	}
	return "", fmt.Errorf("program %s not found in %s: %w", name, strings.Join(systemDirs, ", "), exec.ErrNotFound)
}
