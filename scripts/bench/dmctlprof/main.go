//go:build linux

// Command dmctlprof is dmctl with profiling, for make bench-profile: the
// same command line (commands.Main), plus a CPU profile written to
// $DMCTL_BENCH_CPUPROFILE and an allocation profile (every allocation
// sampled) to $DMCTL_BENCH_MEMPROFILE when those are set. With
// DMCTL_BENCH_LOOPS=N it runs the command N times in one process, so that
// a fast command collects enough samples.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"

	"github.com/dmctl/dmctl/commands"
)

func main() {
	memPath := os.Getenv("DMCTL_BENCH_MEMPROFILE")
	if memPath != "" {
		runtime.MemProfileRate = 1
	}
	if path := os.Getenv("DMCTL_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fail(err)
		}
		// Commands under emulation last milliseconds: sample at 1 kHz.
		runtime.SetCPUProfileRate(1000)
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer f.Close()
	}
	loops, _ := strconv.Atoi(os.Getenv("DMCTL_BENCH_LOOPS"))
	code := 0
	for range max(loops, 1) {
		if code = commands.Main(os.Args, os.Stdin, os.Stdout, os.Stderr); code != 0 {
			break
		}
	}
	pprof.StopCPUProfile()
	if memPath != "" {
		f, err := os.Create(memPath)
		if err != nil {
			fail(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fail(err)
		}
		f.Close()
	}
	os.Exit(code)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "dmctlprof:", err)
	os.Exit(1)
}
