//go:build linux

// Command bench is dmctl's side-by-side benchmark (make bench, make
// bench-check, make bench-profile; scripts/benchmark drives it).
//
//	bench run [--short] [--sizes N,...] [--thins N] [--reps N] [--profile DMCTLPROF]
//	bench report [--host GOBENCH] [--profiles DIR] [--notes FILE] GUEST_OUTPUT > BENCHMARKS.md
//	bench check GUEST_OUTPUT
//	bench files GUEST_OUTPUT DIR
//
// run executes in the guest, as root, with dmctl, dmsetup, thin_ls,
// thin_trim, floor and hello on PATH: it builds a pool and thousands of
// devices, times dmctl against dmsetup or the thin tools and against the
// bare-ioctl floor, and prints one "@@bench" result line per figure. The
// other subcommands run on the host over the captured output: report
// writes BENCHMARKS.md, check evaluates the targets (exit status 1 when an
// enforced one is missed or a figure regressed past its guard), files
// extracts the profiles a --profile run passed out.
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench run|report|check|files ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(os.Args[2:])
	case "report":
		err = reportCmd(os.Args[2:])
	case "check":
		err = checkCmd(os.Args[2:])
	case "files":
		err = filesCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// filesCmd writes the files a guest run passed out into dir.
func filesCmd(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: files GUEST_OUTPUT DIR")
	}
	run, err := readRunFile(args[0])
	if err != nil {
		return err
	}
	if err := os.MkdirAll(args[1], 0o755); err != nil {
		return err
	}
	for name, data := range run.Files {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return fmt.Errorf("file %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(args[1], filepath.Base(name)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
