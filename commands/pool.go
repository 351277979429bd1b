package commands

import "github.com/urfave/cli/v2"

// poolCommands returns the thin-pool commands.
func poolCommands() []*cli.Command { return nil }
