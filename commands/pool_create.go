//go:build linux

package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/format"
	"github.com/dmctl/dmctl/pool"
)

func poolCreateCommand() *cli.Command {
	return &cli.Command{
		Name:  "create",
		Usage: "make the thin pool of --root and its base device, as Docker's driver did on first start",
		Description: "By default the pool lives in two sparse files under ROOT/devicemapper attached to loop " +
			"devices. --data-dev and --metadata-dev build it on block devices instead; --thinpooldev adopts " +
			"an existing empty thin pool (NAME, /dev/mapper/NAME or LVM's /dev/VG/LV); --directlvm-device sets " +
			"an LVM thin pool up on a block device as Docker 17.06+ did (pvcreate, vgcreate docker, lvcreate " +
			"thinpool and thinpoolmeta, lvconvert with 512K chunks, the docker-thinpool autoextend profile) and " +
			"adopts it. --storage-opt options in Docker's spelling are applied after the flags.\n\n" +
			"Examples:\n" +
			"  dmctl pool create\n" +
			"  dmctl pool create --data-size 20G --fs ext4 --storage-opt dm.basesize=20G\n" +
			"  dmctl pool create --data-dev /dev/sdb --metadata-dev /dev/sdc\n" +
			"  dmctl pool create --directlvm-device /dev/xvdf\n" +
			"  dmctl --output json pool create | jq -r .base_device_path",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-size", Usage: "size of the sparse data file (loop pools)", Value: "100G"},
			&cli.StringFlag{Name: "metadata-size", Usage: "size of the sparse metadata file (loop pools)", Value: "2G"},
			&cli.StringFlag{Name: "block-size", Usage: "pool data block size, 64K to 1G, a multiple of 64K", Value: "64K"},
			&cli.Uint64Flag{Name: "low-water-mark", Usage: "free data blocks below which the kernel raises an event", Value: pool.DefaultLowWaterMark},
			&cli.StringFlag{Name: "base-size", Usage: "size of the base device", Value: "10G"},
			&cli.StringFlag{Name: "fs", Usage: "filesystem of the base device: xfs or ext4 (default xfs when mkfs.xfs is found)"},
			multiFlag("mkfs-arg", "extra argument to mkfs (repeatable)"),
			&cli.StringFlag{Name: "mount-opt", Usage: "options added to every mount"},
			&cli.StringFlag{Name: "min-free-space", Usage: "refuse snapshots below this share of free space, e.g. 10%", Value: "10%"},
			&cli.BoolFlag{Name: "blkdiscard", Usage: "discard a device's blocks before deleting it (default on for loop pools)"},
			&cli.BoolFlag{Name: "no-blkdiscard", Usage: "do not discard before deleting"},
			&cli.StringFlag{Name: "data-dev", Usage: "block device for the pool's data (direct mode)"},
			&cli.StringFlag{Name: "metadata-dev", Usage: "block device for the pool's metadata (direct mode)"},
			&cli.StringFlag{Name: "thinpooldev", Usage: "existing thin pool to adopt: NAME, /dev/mapper/NAME or /dev/VG/LV"},
			&cli.StringFlag{Name: "directlvm-device", Usage: "block device to set an LVM thin pool up on (direct-lvm)"},
			&cli.StringFlag{Name: "thinp-percent", Usage: "direct-lvm: share of the volume group for data (default 95)"},
			&cli.StringFlag{Name: "thinp-metapercent", Usage: "direct-lvm: share of the volume group for metadata (default 1)"},
			&cli.StringFlag{Name: "thinp-autoextend-threshold", Usage: "direct-lvm: LVM extends the pool at this use, in percent (default 80)"},
			&cli.StringFlag{Name: "thinp-autoextend-percent", Usage: "direct-lvm: by this share of its size (default 20)"},
			&cli.BoolFlag{Name: "directlvm-device-force", Usage: "direct-lvm: wipe a device that holds a filesystem, partition table or LVM label"},
			&cli.BoolFlag{Name: "direct-io", Usage: "attach loop devices with direct I/O"},
			&cli.BoolFlag{Name: "force", Usage: "direct pools: wipe devices that already hold thin-pool metadata, a filesystem, a partition table or an LVM label"},
			storageOptFlag(),
		},
		Action: func(c *cli.Context) error {
			if _, err := exactArgs(c, 0, "no argument"); err != nil {
				return err
			}
			out, err := outputOf(c)
			if err != nil {
				return err
			}
			cfg, err := createConfig(c)
			if err != nil {
				return usagef("pool create: %v", err)
			}
			return withControl(func(ctl *dmctl.Control) error {
				p, err := pool.Create(c.String(flagRoot), cfg, poolEnv(ctl),
					pool.CreateOptions{Force: c.Bool("force"), Warn: warner(c)})
				if err != nil {
					return err
				}
				defer p.Close()
				return renderPoolMade(out, p)
			})
		},
	}
}

// createConfig builds the pool's settings from the flags, then the
// storage options, and validates them.
func createConfig(c *cli.Context) (pool.Config, error) {
	cfg := pool.DefaultConfig()
	cfg.NameWord = c.String(flagPrefix)
	sizes := []struct {
		flag string
		dst  *uint64
	}{
		{"data-size", &cfg.DataLoopSize},
		{"metadata-size", &cfg.MetadataLoopSize},
		{"block-size", &cfg.BlockSize},
		{"base-size", &cfg.BaseSize},
	}
	for _, s := range sizes {
		if !c.IsSet(s.flag) {
			continue
		}
		v, err := pool.ParseSize(c.String(s.flag))
		if err != nil {
			return cfg, fmt.Errorf("--%s: %w", s.flag, err)
		}
		*s.dst = v
	}
	if c.IsSet("low-water-mark") {
		cfg.LowWaterMark = c.Uint64("low-water-mark")
	}
	if c.IsSet("fs") {
		cfg.Filesystem = c.String("fs")
	}
	cfg.MkfsArgs = append(cfg.MkfsArgs, multiValues(c, "mkfs-arg")...)
	if c.IsSet("mount-opt") {
		cfg.MountOptions = c.String("mount-opt")
	}
	if c.IsSet("min-free-space") {
		pct, err := parsePercent(c.String("min-free-space"))
		if err != nil {
			return cfg, fmt.Errorf("--min-free-space: %w", err)
		}
		cfg.MinFreeSpacePercent = pct
	}
	switch {
	case c.Bool("blkdiscard") && c.Bool("no-blkdiscard"):
		return cfg, fmt.Errorf("--blkdiscard and --no-blkdiscard contradict each other")
	case c.IsSet("blkdiscard") || c.IsSet("no-blkdiscard"):
		on := c.Bool("blkdiscard") && !c.Bool("no-blkdiscard")
		cfg.BlkDiscard = &on
	}
	// A device flag given an empty value (a script's unset variable) is
	// not the absence of the flag: it must not become a loop pool.
	for _, f := range []string{"data-dev", "metadata-dev", "thinpooldev", "directlvm-device"} {
		if c.IsSet(f) && c.String(f) == "" {
			return cfg, fmt.Errorf("--%s is empty", f)
		}
	}
	cfg.DataDevice = c.String("data-dev")
	cfg.MetadataDevice = c.String("metadata-dev")
	cfg.ThinPoolDevice = c.String("thinpooldev")
	cfg.DirectIO = c.Bool("direct-io")
	// The direct-lvm flags are Docker's options under other names.
	var opts []string
	for _, f := range []struct{ flag, key string }{
		{"directlvm-device", "dm.directlvm_device"},
		{"thinp-percent", "dm.thinp_percent"},
		{"thinp-metapercent", "dm.thinp_metapercent"},
		{"thinp-autoextend-threshold", "dm.thinp_autoextend_threshold"},
		{"thinp-autoextend-percent", "dm.thinp_autoextend_percent"},
		{"directlvm-device-force", "dm.directlvm_device_force"},
	} {
		if c.IsSet(f.flag) {
			opts = append(opts, f.key+"="+fmt.Sprint(c.Value(f.flag)))
		}
	}
	noteStorageOpts(c, multiValues(c, flagStorageOpt))
	if err := cfg.ApplyStorageOpts(append(opts, multiValues(c, flagStorageOpt)...)); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// warner returns a function printing a warning line on standard error.
func warner(c *cli.Context) func(string) {
	return func(msg string) { fmt.Fprintf(c.App.ErrWriter, "dmctl: warning: %s\n", msg) }
}

// parsePercent parses "10%" or "10" as a share from 0 to 99.
func parsePercent(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(s), "%"), 10, 32)
	if err != nil || v > 99 {
		return 0, fmt.Errorf("parse percentage %q: want 0 to 99", s)
	}
	return uint32(v), nil
}

// renderPoolMade prints what a new (or activated) pool is: its names and
// where it lives.
func renderPoolMade(out format.Output, p *pool.Pool) error {
	s, err := p.Summary()
	if err != nil {
		return err
	}
	return format.Pool(out, poolRecord(s))
}

// poolRecord turns a pool's summary into its record.
func poolRecord(s pool.Summary) format.PoolRecord {
	r := format.PoolRecord{PoolName: s.Name, Prefix: s.Prefix, Layout: string(s.Mode), Active: s.Active,
		DockerRoot: s.DockerRoot, Devices: s.Devices, Root: s.Root,
		DataDevice: format.OptString(s.DataDevice), MetadataDevice: format.OptString(s.MetadataDevice),
		DataLoopFile: format.OptString(s.DataFile), MetadataLoopFile: format.OptString(s.MetadataFile),
		BaseDevicePath: dmctl.NodePath(pool.NewNames(s.Prefix, "").Device(pool.BaseID))}
	if s.BlockSize > 0 {
		bs := s.BlockSize
		r.BlockSizeBytes = &bs
	}
	return r
}
