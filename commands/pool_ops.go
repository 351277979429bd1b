//go:build linux

package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func poolActivateCommand() *cli.Command {
	return &cli.Command{
		Name:  "activate",
		Usage: "bring the pool up (after a reboot), as Docker's driver did at every start",
		Description: "Attaches the loop files again, loads the pool, finishes or rolls back an interrupted " +
			"transaction and checks the base device. Harmless on an active pool.\n\n" +
			"Examples:\n" +
			"  dmctl pool activate\n" +
			"  dmctl --root /var/lib/docker/devicemapper pool activate",
		Flags: []cli.Flag{storageOptFlag()},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				if err := p.Activate(); err != nil {
					return err
				}
				return renderPoolMade(out, p)
			})
		},
	}
}

func poolDeactivateCommand() *cli.Command {
	return &cli.Command{
		Name:  "deactivate",
		Usage: "remove the pool and its thin devices from device-mapper, keeping their data",
		Description: "Examples:\n" +
			"  dmctl pool deactivate\n" +
			"  dmctl pool deactivate --force",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "detach mounts lazily and defer the removal of busy devices"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				return p.Deactivate(c.Bool("force"))
			})
		},
	}
}

func poolDestroyCommand() *cli.Command {
	return &cli.Command{
		Name:  "destroy",
		Usage: "deactivate the pool and delete it with all its thin devices (needs --yes)",
		Description: "An adopted pool is left loaded, with dmctl's thin devices deleted and its transaction id " +
			"as dmctl found it. The LVM volumes a direct-lvm setup made stay too, unless --remove-volumes.\n\n" +
			"Examples:\n" +
			"  dmctl pool destroy --yes\n" +
			"  dmctl pool destroy --yes --remove-volumes",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "yes", Usage: "confirm that every thin device's data is to be lost"},
			&cli.BoolFlag{Name: "force", Usage: "as for pool deactivate"},
			&cli.BoolFlag{Name: "remove-volumes", Usage: "direct-lvm: also remove the volume group docker, its thin pool and the physical volume label"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			if !c.Bool("yes") {
				return usagef("pool destroy: deletes every thin device of %s; confirm with --yes", c.String(flagRoot))
			}
			return withPool(c, true, func(p *pool.Pool) error {
				lvm := p.Config().DirectLVM
				if err := p.DestroyWith(pool.DestroyOptions{Force: c.Bool("force"), RemoveVolumes: c.Bool("remove-volumes")}); err != nil {
					return err
				}
				if lvm != nil && !c.Bool("remove-volumes") {
					fmt.Fprintf(c.App.ErrWriter, "dmctl: note: the LVM volume group %s on %s stays (pool destroy --yes --remove-volumes removes it)\n",
						pool.DirectLVMGroup, lvm.Device)
				}
				return nil
			})
		},
	}
}

func poolExtendCommand() *cli.Command {
	return &cli.Command{
		Name:  "extend",
		Usage: "grow the pool online: its loop files or LVM volumes to the given sizes, or to its grown block devices",
		Description: "A loop pool's files are lengthened and the pool's table reloaded. An adopted LVM thin pool " +
			"is grown by LVM (lvextend of its data or metadata volume); dmctl never loads a table into it. " +
			"A pool on block devices takes no sizes: grow the devices, then run pool extend.\n\n" +
			"Examples:\n" +
			"  dmctl pool extend --data-size 200G\n" +
			"  dmctl pool extend   # after growing the data device",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-size", Usage: "new size of the data file or LVM data volume"},
			&cli.StringFlag{Name: "metadata-size", Usage: "new size of the metadata file or LVM metadata volume"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			var opts pool.ExtendOptions
			for _, s := range []struct {
				flag string
				dst  *uint64
			}{{"data-size", &opts.DataSize}, {"metadata-size", &opts.MetadataSize}} {
				if !c.IsSet(s.flag) {
					continue
				}
				v, err := pool.ParseSize(c.String(s.flag))
				if err != nil {
					return usagef("pool extend: --%s: %v", s.flag, err)
				}
				*s.dst = v
			}
			return withPool(c, true, func(p *pool.Pool) error {
				r, err := p.Extend(opts)
				if err != nil {
					return err
				}
				return format.Extend(out, format.ExtendRecord{DataSizeBytes: r.DataSize,
					MetadataSizeBytes: r.MetadataSize, Reloaded: r.Reloaded})
			})
		},
	}
}

func poolLsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the pool of --root: name, layout, state, block size, thin devices",
		Description: "Examples:\n" +
			"  dmctl pool ls\n" +
			"  dmctl pool ls -o pool,prefix,base_device --noheadings --separator '\t'",
		Flags: tableFlags(),
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			out, err := tableOutput(c, format.PoolsTable)
			if err != nil {
				return err
			}
			return withControlEnv(func(env pool.Env) error {
				list, err := pool.List(c.String(flagRoot), env, pool.OpenOptions{NameWord: c.String(flagPrefix)})
				if err != nil {
					return err
				}
				recs := make([]format.PoolRecord, len(list))
				for i, s := range list {
					recs[i] = poolRecord(s)
				}
				return format.Pools(out, recs)
			})
		},
	}
}
