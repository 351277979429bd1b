//go:build linux

// Command dmctl drives Linux device-mapper directly, in the style of dmsetup,
// and builds and runs thin-provisioning pools the way Docker's devicemapper
// storage driver did.
package main

import (
	"os"

	"github.com/dmctl/dmctl/commands"
	"github.com/dmctl/dmctl/pool"
)

func main() {
	stop := pool.CatchInterrupts() // SIGINT/SIGTERM wait for suspended devices to resume
	code := commands.Main(os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
