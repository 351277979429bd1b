package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
)

// poolInfo prints the pool report of --root.
func poolInfo(c *cli.Context, kind format.Kind) error {
	return usagef("info: no pool report yet")
}
