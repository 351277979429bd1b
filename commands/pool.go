//go:build linux

package commands

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/pool"
)

// flagStorageOpt is the repeatable Docker-style storage option flag.
const flagStorageOpt = "storage-opt"

// poolCommands returns the thin-pool commands: the pool and snapshot
// groups and the per-device verbs.
func poolCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:   "pool",
			Usage:  "create, activate, grow and remove the thin pool of --root (Docker's devicemapper layout)",
			Action: groupAction,
			Subcommands: []*cli.Command{
				poolCreateCommand(),
				poolActivateCommand(),
				poolDeactivateCommand(),
				poolDestroyCommand(),
				poolExtendCommand(),
				poolMonitorCommand(),
				poolLsCommand(),
			},
		},
		snapshotCommand(),
		deviceActivateCommand(),
		deviceDeactivateCommand(),
		mountCommand(),
		umountCommand(),
	}
}

// multiValue is a repeatable string flag that, unlike cli.StringSlice,
// never splits a value on commas ("dm.mountopt=nouuid,discard").
type multiValue struct{ values []string }

// Set implements cli.Generic.
func (m *multiValue) Set(s string) error {
	m.values = append(m.values, s)
	return nil
}

// String implements cli.Generic.
func (m *multiValue) String() string { return strings.Join(m.values, " ") }

// multiFlag declares a repeatable string flag.
func multiFlag(name, usage string) *cli.GenericFlag {
	return &cli.GenericFlag{Name: name, Usage: usage, Value: &multiValue{}}
}

// multiValues returns every value given to a multiFlag.
func multiValues(c *cli.Context, name string) []string {
	if m, ok := c.Generic(name).(*multiValue); ok {
		return m.values
	}
	return nil
}

// storageOptFlag is --storage-opt, repeatable.
func storageOptFlag() *cli.GenericFlag {
	return multiFlag(flagStorageOpt, "Docker storage option `dm.KEY=VALUE` (repeatable), e.g. dm.min_free_space=5%")
}

// poolEnv returns what pool operations run against.
func poolEnv(ctl *dmctl.Control) pool.Env {
	return pool.Env{DM: ctl, Sys: pool.HostSystem{}}
}

// withPool opens the pool of --root (taking its lock when write) for the
// duration of fn.
func withPool(c *cli.Context, write bool, fn func(*pool.Pool) error) error {
	opts := pool.OpenOptions{Write: write, StorageOpts: multiValues(c, flagStorageOpt), NameWord: c.String(flagPrefix)}
	if err := pool.ValidateNameWord(opts.NameWord); err != nil {
		return usagef("%v", err)
	}
	noteStorageOpts(c, opts.StorageOpts)
	return withControl(func(ctl *dmctl.Control) error {
		p, err := pool.Open(c.String(flagRoot), poolEnv(ctl), opts)
		if err != nil {
			return err
		}
		defer p.Close()
		return fn(p)
	})
}

// noteStorageOpts prints a note on standard error for each storage
// option dmctl accepts for Docker's sake but that does nothing here.
func noteStorageOpts(c *cli.Context, opts []string) {
	for _, n := range pool.StorageOptNotes(opts) {
		fmt.Fprintf(c.App.ErrWriter, "dmctl: note: %s\n", n)
	}
}

// checkIDs rejects ids that cannot name a thin device of the pool (exit
// 2); the pool's prefix decides how long an id may be.
func checkIDs(p *pool.Pool, ids ...string) error {
	return validateIDs(p.Names(), ids...)
}

// preCheckIDs rejects ids that cannot name any thin device, before
// anything is opened.
func preCheckIDs(ids ...string) error {
	return validateIDs(pool.Names{}, ids...)
}

func validateIDs(n pool.Names, ids ...string) error {
	var errs []error
	for _, id := range ids {
		if err := n.ValidateID(id); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return usagef("%v", errors.Join(errs...))
	}
	return nil
}

// groupAction runs when a command group (pool, snapshot) is given no known
// subcommand: its help without one, a usage error for an unknown one.
func groupAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowSubcommandHelp(c)
	}
	return usagef("%s: unknown command %q (see dmctl %s --help)", c.Command.FullName(), c.Args().First(), c.Command.FullName())
}

// withControlEnv opens the control node and hands fn the pool environment
// over it.
func withControlEnv(fn func(pool.Env) error) error {
	return withControl(func(ctl *dmctl.Control) error { return fn(poolEnv(ctl)) })
}

// recoverStalled runs before dmsetup's verbs: when --root holds a pool, it
// undoes what a dmctl killed with SIGKILL left stalled on it (a device
// suspended or half made, the metadata snapshot held), so that the next
// command of any kind does, as the pool commands do when they open the
// pool. It never fails the verb; a failure to undo is a warning.
func recoverStalled(c *cli.Context) error {
	root := c.String(flagRoot)
	if _, err := os.Stat(pool.NewStore(root).MetadataDir()); err != nil {
		return nil // no pool here: nothing to open
	}
	withControlEnv(func(env pool.Env) error {
		if err := pool.Recover(root, env, pool.OpenOptions{NameWord: c.String(flagPrefix)}); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "dmctl: warning: %v\n", err)
		}
		return nil
	})
	return nil
}
