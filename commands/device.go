package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/pool"
)

func deviceActivateCommand() *cli.Command {
	return &cli.Command{
		Name:      "activate",
		Usage:     "make a thin device's /dev/mapper node (the device stays in the pool when deactivated)",
		ArgsUsage: "ID",
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			id := args[0]
			return withPool(c, true, func(p *pool.Pool) error {
				if _, err := p.ActivateDevice(id); err != nil {
					return err
				}
				_, err := fmt.Fprintln(c.App.Writer, p.DevicePath(id))
				return err
			})
		},
	}
}

func deviceDeactivateCommand() *cli.Command {
	return &cli.Command{
		Name:      "deactivate",
		Usage:     "remove a thin device's device-mapper device, keeping its data in the pool",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "when busy, remove it once its last user closes it"},
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				return p.DeactivateDevice(args[0], c.Bool("deferred"))
			})
		},
	}
}

func mountCommand() *cli.Command {
	return &cli.Command{
		Name:      "mount",
		Usage:     "activate a thin device and mount its filesystem on DIR (default <root>/mnt/ID)",
		ArgsUsage: "ID [DIR]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "options", Aliases: []string{"o"}, Usage: "mount options, added to the pool's"},
			&cli.BoolFlag{Name: "read-only", Aliases: []string{"r"}, Usage: "mount read-only"},
			storageOptFlag(),
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 2, "ID [DIR]")
			if err != nil {
				return err
			}
			dir := ""
			if len(args) > 1 {
				dir = args[1]
			}
			return withPool(c, true, func(p *pool.Pool) error {
				dir, err := p.Mount(args[0], dir, c.String("options"), c.Bool("read-only"))
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(c.App.Writer, dir)
				return err
			})
		},
	}
}

func umountCommand() *cli.Command {
	return &cli.Command{
		Name:      "umount",
		Usage:     "unmount a thin device everywhere in this mount namespace and deactivate it",
		ArgsUsage: "ID",
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				return p.Umount(args[0])
			})
		},
	}
}
