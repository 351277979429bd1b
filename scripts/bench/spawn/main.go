//go:build linux

// Command spawn runs a command and reports its wall time and peak RSS, for
// the benchmark.
//
// The peak RSS wait4 reports for a child is useless here: exec keeps the
// high-water mark of the memory the process had before it, a copy of its
// parent's (or, after vfork, the parent's own), so every child of a Go
// program looks at least as big as the Go program. spawn instead traces
// the command (PTRACE_O_TRACEEXIT, every thread) and reads the peak RSS of the program
// the command exec'd from /proc as it exits (see peakRSS). It times
// from just before the fork to just after the last wait, so its own
// start-up is not counted.
//
// Usage: spawn CMD [ARGS...]
//
// The command's standard output goes to /dev/null (or to the file
// $DMCTL_BENCH_STDOUT names), its standard error to spawn's. spawn writes {"ns":N,"rss_kb":N,"exit":N} to file descriptor 3
// and exits 0, or exits 1 when it could not run the command.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	ptraceOTraceClone = 0x8      // PTRACE_O_TRACECLONE
	ptraceOTraceExit  = 0x40     // PTRACE_O_TRACEEXIT
	ptraceOExitKill   = 0x100000 // PTRACE_O_EXITKILL
	ptraceEventClone  = 3        // PTRACE_EVENT_CLONE
	ptraceEventExit   = 6        // PTRACE_EVENT_EXIT
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: spawn CMD [ARGS...]")
		os.Exit(1)
	}
	report := os.NewFile(3, "report")
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fail(err)
	}
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if path := os.Getenv("DMCTL_BENCH_STDOUT"); path != "" {
		stdout, err = os.Create(path)
	}
	if err != nil {
		fail(err)
	}
	// ptrace requests must come from the thread that attached.
	runtime.LockOSThread()
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, stdout.Fd(), 2},
		Sys: &syscall.SysProcAttr{Ptrace: true}}
	start := time.Now()
	pid, err := syscall.ForkExec(path, os.Args[1:], attr)
	if err != nil {
		fail(err)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	hwm := int64(-1)
	first := true
	for {
		// Every thread of the command is traced (PTRACE_O_TRACECLONE): the
		// first to exit is the one calling exit_group, and at its exit stop
		// the memory is still all there.
		tid, err := syscall.Wait4(-1, &ws, syscall.WALL, &ru)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fail(err)
		}
		if !ws.Stopped() {
			if tid == pid {
				break // the command exited or was killed
			}
			continue // one of its threads
		}
		sig := 0
		switch {
		case first && tid == pid:
			// The stop at exec: from here on, stop at every thread's exit.
			first = false
			if err := syscall.PtraceSetOptions(pid, ptraceOTraceExit|ptraceOTraceClone|ptraceOExitKill); err != nil {
				fail(err)
			}
		case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == ptraceEventExit:
			if hwm < 0 {
				hwm = peakRSS(pid)
			}
		case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == ptraceEventClone:
		case ws.StopSignal() == syscall.SIGSTOP:
			// A new thread's first stop.
		default:
			sig = int(ws.StopSignal()) // pass signals on
		}
		// A thread killed meanwhile (exit_group) is no longer stopped.
		if err := syscall.PtraceCont(tid, sig); err != nil && err != syscall.ESRCH {
			fail(err)
		}
	}
	wall := time.Since(start)
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if hwm < 0 {
		hwm = ru.Maxrss
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Fprintf(report, "{\"ns\":%d,\"cpu_ns\":%d,\"rss_kb\":%d,\"exit\":%d}\n", wall.Nanoseconds(), cpu.Nanoseconds(), hwm, code)
}

// peakRSS returns the process's peak RSS in KiB, -1 if it cannot tell:
// the larger of VmHWM and the resident set counted page by page now (from
// smaps_rollup). VmHWM alone falls short for short-lived processes: this
// kernel counts RSS per thread and folds the counts into the process's
// every 64 page faults, so the last faults are missing from it.
func peakRSS(pid int) int64 {
	hwm := procField("/proc/"+strconv.Itoa(pid)+"/status", "VmHWM:")
	rss := procField("/proc/"+strconv.Itoa(pid)+"/smaps_rollup", "Rss:")
	return max(hwm, rss)
}

// procField reads a "Name:   N kB" line of a /proc file.
func procField(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "spawn:", err)
	os.Exit(1)
}
