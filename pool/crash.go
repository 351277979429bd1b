//go:build linux

package pool

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// CrashEnv names the environment variable that makes dmctl kill itself
// with SIGKILL at one named step of a transaction. It exists for the
// kernel tests, which prove that an interruption at every step leaves a
// state the next command finishes or rolls back; it is never set otherwise.
const CrashEnv = "DMCTL_CRASH_AT"

// CrashSteps returns the steps at which CrashEnv can interrupt a create
// (create:*), a delete (delete:*) or either (txn:*).
func CrashSteps() []string {
	return []string{
		"create:opened", "create:suspended", "create:sent", "create:resumed", "create:recorded",
		"delete:opened", "delete:sent", "delete:unrecorded",
		"txn:committed",
	}
}

// StallSteps returns the steps at which CrashEnv can interrupt a command
// while it has kernel state to undo: trim with the pool suspended
// (trim:suspended), extend with a table loaded (extend:loaded) and with
// the pool suspended (extend:suspended), and a reader holding the pool's
// metadata snapshot (msnap:reserved).
func StallSteps() []string {
	return []string{"trim:suspended", "extend:loaded", "extend:suspended", "msnap:reserved"}
}

// PauseEnv names the environment variable that makes dmctl stop for
// PauseTime at one named step (with a line on standard error saying so),
// so that a kernel test can signal it there. Like CrashEnv it exists for
// the tests only.
const PauseEnv = "DMCTL_PAUSE_AT"

// PauseTime is how long PauseEnv stops dmctl.
const PauseTime = 5 * time.Second

// crashPoint kills the process when CrashEnv names step, and pauses it
// when PauseEnv does.
func crashPoint(step string) {
	if os.Getenv(PauseEnv) == step {
		fmt.Fprintf(os.Stderr, "dmctl: paused at %s\n", step)
		time.Sleep(PauseTime)
	}
	if os.Getenv(CrashEnv) == step {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL cannot be caught: wait for it to land
	}
}
