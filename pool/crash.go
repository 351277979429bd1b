package pool

import (
	"os"
	"syscall"
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

// crashPoint kills the process when CrashEnv names step.
func crashPoint(step string) {
	if os.Getenv(CrashEnv) == step {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL cannot be caught: wait for it to land
	}
}
