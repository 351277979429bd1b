//go:build linux

package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func deviceActivateCommand() *cli.Command {
	return &cli.Command{
		Name:      "activate",
		Usage:     "make a thin device's /dev/mapper node (the device stays in the pool when deactivated)",
		ArgsUsage: "ID",
		Description: "Prints the device's node.\n\n" +
			"Examples:\n" +
			"  dmctl activate image\n" +
			"  mkfs.ext4 \"$(dmctl activate scratch)\"",
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			id := args[0]
			if err := preCheckIDs(id); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				if _, err := p.ActivateDevice(id); err != nil {
					return err
				}
				return format.Activation(out, format.ActivationRecord{ID: id, DevicePath: p.DevicePath(id)})
			})
		},
	}
}

func deviceDeactivateCommand() *cli.Command {
	return &cli.Command{
		Name:      "deactivate",
		Usage:     "remove a thin device's device-mapper device, keeping its data in the pool",
		ArgsUsage: "ID",
		Description: "Examples:\n" +
			"  dmctl deactivate image\n" +
			"  dmctl deactivate --deferred busy",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deferred", Usage: "when busy, remove it once its last user closes it"},
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			if err := preCheckIDs(args[0]); err != nil {
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
		Usage:     "activate a thin device and mount its filesystem on DIR (default ROOT/mnt/ID)",
		ArgsUsage: "ID [DIR]",
		Description: "Options are mount(8)'s: generic ones (ro, noexec, nosuid, noatime, ...) become mount " +
			"flags, the rest go to the filesystem, after the pool's own (xfs always gets nouuid). " +
			"Prints the mount point.\n\n" +
			"Examples:\n" +
			"  dmctl mount ctr\n" +
			"  dmctl mount ctr -o ro\n" +
			"  dmctl mount ctr /mnt/ctr -o noexec,nosuid",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "options", Aliases: []string{"o"}, Usage: "mount `OPTIONS`, comma-separated, added to the pool's"},
			&cli.BoolFlag{Name: "read-only", Aliases: []string{"r"}, Usage: "mount read-only"},
			storageOptFlag(),
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 2, "ID [DIR]")
			if err != nil {
				return err
			}
			if err := preCheckIDs(args[0]); err != nil {
				return err
			}
			out, err := outputOf(c)
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
				return format.Activation(out, format.ActivationRecord{ID: args[0], DevicePath: p.DevicePath(args[0]),
					Mountpoint: format.OptString(dir)})
			})
		},
	}
}

func umountCommand() *cli.Command {
	return &cli.Command{
		Name:      "umount",
		Usage:     "unmount a thin device everywhere in this mount namespace and deactivate it",
		ArgsUsage: "ID",
		Description: "Examples:\n" +
			"  dmctl umount ctr",
		Action: func(c *cli.Context) error {
			args, err := positional(c, 1, 1, "ID")
			if err != nil {
				return err
			}
			if err := preCheckIDs(args[0]); err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				return p.Umount(args[0])
			})
		},
	}
}
