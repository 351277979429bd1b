package commands

import (
	"fmt"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func poolActivateCommand() *cli.Command {
	return &cli.Command{
		Name:  "activate",
		Usage: "bring the pool up (after a reboot), as Docker's driver did at every start",
		Description: "Attaches the loop files again, loads the pool, finishes or rolls back an interrupted " +
			"transaction and checks the base device. Harmless on an active pool.",
		Flags: []cli.Flag{storageOptFlag()},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withPool(c, true, func(p *pool.Pool) error {
				if err := p.Activate(); err != nil {
					return err
				}
				return renderPoolMade(c, kind, p)
			})
		},
	}
}

func poolDeactivateCommand() *cli.Command {
	return &cli.Command{
		Name:  "deactivate",
		Usage: "remove the pool and its thin devices from device-mapper, keeping their data",
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
			"as dmctl found it. The LVM volumes a direct-lvm setup made stay too, unless --remove-volumes.",
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
			"A pool on block devices takes no sizes: grow the devices, then run pool extend.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-size", Usage: "new size of the data file or LVM data volume"},
			&cli.StringFlag{Name: "metadata-size", Usage: "new size of the metadata file or LVM metadata volume"},
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			kind, err := outputKind(c)
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
				return format.KeyValues(c.App.Writer, kind, "", []format.KV{
					{Key: "Data Size", Value: humanize.IBytes(r.DataSize), JSONKey: "data_size_bytes", JSONValue: r.DataSize},
					{Key: "Metadata Size", Value: humanize.IBytes(r.MetadataSize), JSONKey: "metadata_size_bytes", JSONValue: r.MetadataSize},
					{Key: "Reloaded", Value: fmt.Sprint(r.Reloaded), JSONKey: "reloaded", JSONValue: r.Reloaded},
				})
			})
		},
	}
}

// poolJSON is one pool in pool ls --output json.
type poolJSON struct {
	Name           string `json:"name"`
	Prefix         string `json:"prefix"`
	Mode           string `json:"mode"`
	Active         bool   `json:"active"`
	DockerRoot     bool   `json:"docker_root"`
	BlockBytes     uint64 `json:"block_bytes"`
	Devices        int    `json:"devices"`
	DataFile       string `json:"data_file,omitempty"`
	MetadataFile   string `json:"metadata_file,omitempty"`
	DataDevice     string `json:"data_device,omitempty"`
	MetadataDevice string `json:"metadata_device,omitempty"`
	Root           string `json:"root"`
}

func poolLsCommand() *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the pool of --root: name, mode, state, block size, thin devices",
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			kind, err := outputKind(c)
			if err != nil {
				return err
			}
			return withControlEnv(func(env pool.Env) error {
				list, err := pool.List(c.String(flagRoot), env, pool.OpenOptions{NameWord: c.String(flagPrefix)})
				if err != nil {
					return err
				}
				rows := make([][]string, 0, len(list))
				js := make([]poolJSON, 0, len(list))
				for _, s := range list {
					data, meta := s.DataFile, s.MetadataFile
					if s.Mode == pool.ModeDirect {
						data, meta = s.DataDevice, s.MetadataDevice
					}
					block := "-"
					if s.BlockSize > 0 {
						block = humanize.IBytes(s.BlockSize)
					}
					rows = append(rows, []string{s.Name, string(s.Mode), activeWord(s.Active), block,
						fmt.Sprint(s.Devices), orDash(data), orDash(meta), s.Root})
					js = append(js, poolJSON{Name: s.Name, Prefix: s.Prefix, Mode: string(s.Mode), Active: s.Active,
						DockerRoot: s.DockerRoot, BlockBytes: s.BlockSize, Devices: s.Devices,
						DataFile: s.DataFile, MetadataFile: s.MetadataFile, DataDevice: s.DataDevice,
						MetadataDevice: s.MetadataDevice, Root: s.Root})
				}
				return format.Rows(c.App.Writer, kind,
					[]string{"NAME", "MODE", "STATE", "BLOCK SIZE", "DEVICES", "DATA", "METADATA", "ROOT"}, rows, js)
			})
		},
	}
}

// activeWord names a pool's or device's state.
func activeWord(active bool) string {
	if active {
		return "active"
	}
	return "inactive"
}
