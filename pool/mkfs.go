package pool

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
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
		return append(cmd, device)
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
// reports the last failure with the last line mkfs printed.
func runMkfs(fstype, device string, extra []string) error {
	var lastErr error
	for _, argv := range mkfsCommands(fstype, device, extra) {
		cmd := exec.Command(argv[0], argv[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
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
