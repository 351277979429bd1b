package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
)

// Global flag names.
const (
	flagOutput = "output"
	flagRoot   = "root"
	flagPrefix = "prefix"
)

// DefaultRoot is where dmctl keeps a pool's state unless --root says
// otherwise.
const DefaultRoot = "/var/lib/dmctl"

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    flagOutput,
			Value:   string(format.Table),
			Usage:   "output format: table (for people), json (for programs) or dmsetup (dmsetup's own text)",
			EnvVars: []string{"DMCTL_OUTPUT"},
		},
		&cli.StringFlag{
			Name:    flagRoot,
			Value:   DefaultRoot,
			Usage:   "state directory of the pool (Docker's layout; a /var/lib/docker/devicemapper works)",
			EnvVars: []string{"DMCTL_ROOT"},
		},
		&cli.StringFlag{
			Name:  flagPrefix,
			Value: "docker",
			Usage: "first word of device names: <prefix>-MAJ:MIN-INO-pool",
		},
	}
}

// outputKind returns the --output format.
func outputKind(c *cli.Context) (format.Kind, error) {
	k, err := format.ParseKind(c.String(flagOutput))
	if err != nil {
		return "", usagef("%v", err)
	}
	return k, nil
}
