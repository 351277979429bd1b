//go:build linux

package pool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/dmctl/dmctl/dmctl"
)

// Pool is one pool root opened for reading, or (with OpenOptions.Write or
// from Create) for changes, holding the root's lock until Close.
type Pool struct {
	env   Env
	store *Store
	rec   PoolRecord
	// docker is set when the root has no dmctl-pool.json: a root Docker's
	// driver left, read with Docker's defaults and the given options.
	docker bool
	names  Names
	lock   *Lock

	// Loaded by loadThinState before the first change of thin ids.
	txID    uint64
	ids     *idSet
	devset  DeviceSetMeta
	devices []DeviceMeta

	// mkfsArgs are the extra mkfs arguments of this command (pool create's
	// dm.mkfsarg); those recorded in dmctl-pool.json are never used.
	mkfsArgs []string

	// recoverErr is why an interrupted transaction could not be
	// finished; commands that change thin ids refuse to run while it is
	// set, the others go on.
	recoverErr error
}

// OpenOptions modify Open.
type OpenOptions struct {
	// Write takes the root's lock exclusively (waiting up to
	// Env.LockTimeout) and, when the pool is active, finishes or rolls
	// back a transaction an interrupted command left open. Without it the
	// lock is taken shared: readers run together, never while a command
	// changes the root.
	Write bool
	// StorageOpts are Docker-style options ("dm.min_free_space=5%") for
	// this command. On a root made by dmctl only the runtime ones
	// (dm.min_free_space, dm.blkdiscard, dm.mountopt,
	// dm.use_deferred_removal, dm.use_deferred_deletion) may differ from
	// the pool's record; on a root Docker left they also say how Docker
	// made it (dm.thinpooldev, dm.datadev, dm.metadatadev, ...).
	StorageOpts []string
	// NameWord replaces "docker" in device names of a root Docker left
	// (a dmctl root records its own).
	NameWord string

	// tryLock takes the lock only if it is free at once (Recover).
	tryLock bool
}

// Open opens the pool rooted at root. It returns an error wrapping
// ErrPoolNotFound when the root holds no pool.
func Open(root string, env Env, opts OpenOptions) (p *Pool, retErr error) {
	store := NewStore(root)
	store.hook = env.storeHook
	if _, err := os.Stat(store.MetadataDir()); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open pool at %s: %w", root, ErrPoolNotFound)
		}
		return nil, fmt.Errorf("open pool at %s: %w", root, err)
	}
	if err := CheckRoot(root); err != nil {
		return nil, err
	}
	p = &Pool{env: env, store: store}
	opened := p // p is nil once an error is returned
	defer func() {
		if retErr != nil {
			opened.Close()
		}
	}()
	timeout := env.lockTimeout()
	if opts.tryLock {
		timeout = 0
	}
	l, err := store.acquireLock(opts.Write, timeout)
	if err != nil {
		return nil, err
	}
	p.lock = l
	if err := p.loadRecord(opts); err != nil {
		return nil, fmt.Errorf("open pool at %s: %w", root, err)
	}
	if err := p.checkPoolIsOurs(); err != nil {
		return nil, err
	}
	if err := p.recoverStalled(); err != nil {
		return nil, err
	}
	if opts.Write {
		if err := p.recoverPool(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// recoverPool prepares an active pool for changes: a transaction left
// open is finished or rolled back. A failure is kept in recoverErr for the
// commands that change thin ids; so is a pool suspended by someone other
// than dmctl.
func (p *Pool) recoverPool() error {
	info, err := p.env.DM.Info(p.names.Pool)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return fmt.Errorf("pool %s: %w", p.names.Pool, err)
	}
	if !info.LiveTable() {
		return nil
	}
	if info.Suspended() {
		// Not by a dmctl (recoverStalled resumed what one left
		// suspended): by the admin, or another tool. Changes wait.
		p.recoverErr = fmt.Errorf("pool %s is suspended, and not by dmctl: its I/O is blocked; resume it (dmctl resume %s) when whoever suspended it is done",
			p.names.Pool, p.names.Pool)
		return nil
	}
	p.recoverErr = p.recoverTransaction()
	return nil
}

// loadRecord reads dmctl-pool.json, or infers the record of a root Docker
// left, and applies the storage options.
func (p *Pool) loadRecord(opts OpenOptions) error {
	rec, ok, err := p.store.ReadPoolRecord()
	if err != nil {
		return err
	}
	if ok {
		if rec.Version > PoolRecordVersion {
			return fmt.Errorf("pool record version %d is newer than this dmctl understands (%d)", rec.Version, PoolRecordVersion)
		}
		cfg, err := applyRuntimeOpts(rec.Config, opts.StorageOpts, func(c *Config) error { return resolveConfig(p.env, c) })
		if err != nil {
			return err
		}
		rec.Config = cfg
		if err := rec.validate(); err != nil {
			return fmt.Errorf("%s: %w", p.store.deviceFile(poolConfigFileName), err)
		}
		p.rec = rec
		p.names = NewNames(rec.Prefix, adoptedName(rec.Config))
		return nil
	}
	has, err := p.store.HasState()
	if err != nil {
		return err
	}
	cfg := DefaultConfig()
	if opts.NameWord != "" {
		cfg.NameWord = opts.NameWord
	}
	if err := cfg.ApplyStorageOpts(opts.StorageOpts); err != nil {
		return err
	}
	if !has && cfg.Mode() == ModeLoop {
		return ErrPoolNotFound
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.ThinPoolDevice == "" && has {
		// Docker's direct-lvm setup: its pool is docker-thinpool, and
		// other settings were refused.
		if sc, ok, err := p.store.ReadSetupConfig(); err != nil {
			return err
		} else if ok {
			if cfg.DirectLVM != nil && !sameDirectLVM(cfg.DirectLVM, &sc) {
				return errDirectLVMChanged
			}
			n := sc.Normalized()
			cfg.DirectLVM = &n
		}
	}
	if err := resolveConfig(p.env, &cfg); err != nil {
		return err
	}
	if ds, ok, err := p.store.ReadDeviceSet(); err != nil {
		return err
	} else if ok && ds.BaseDeviceFilesystem != "" {
		cfg.Filesystem = ds.BaseDeviceFilesystem
	}
	if base, err := p.store.ReadDevice(BaseID); err == nil {
		cfg.BaseSize = base.Size
	} else if !errors.Is(err, ErrDeviceNotFound) {
		return err
	}
	prefix, err := RootPrefix(p.store.Root(), cfg.NameWord)
	if err != nil {
		return err
	}
	p.docker = true
	p.rec = PoolRecord{Version: PoolRecordVersion, Mode: cfg.Mode(), Prefix: prefix, Config: cfg}
	p.names = NewNames(prefix, adoptedName(cfg))
	p.rec.PoolName = p.names.Pool
	return nil
}

// applyRuntimeOpts applies storage options to the configuration of an
// existing pool: runtime options change it for this command; options that
// describe how the pool was made may only repeat what it is (resolve turns
// a dm.thinpooldev path into the pool's name before they are compared).
func applyRuntimeOpts(cfg Config, opts []string, resolve func(*Config) error) (Config, error) {
	var errs []error
	for _, o := range opts {
		key, _, err := splitStorageOpt(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !isCreationKey(key) {
			if err := cfg.applyStorageOpt(o); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		probe := cfg
		probe.MkfsArgs = nil
		if err := probe.applyStorageOpt(o); err != nil {
			errs = append(errs, err)
			continue
		}
		if key == "dm.thinpooldev" && resolve != nil {
			if err := resolve(&probe); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		switch {
		case strings.HasPrefix(key, "dm.directlvm") || strings.HasPrefix(key, "dm.thinp_"):
			if !sameDirectLVM(cfg.DirectLVM, probe.DirectLVM) {
				errs = append(errs, fmt.Errorf("storage option %s: %w", key, errDirectLVMChanged))
			}
		case key == "dm.mkfsarg" || !sameCreation(cfg, probe):
			errs = append(errs, fmt.Errorf("storage option %s cannot be changed on an existing pool", key))
		}
	}
	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	return cfg, cfg.Validate()
}

// sameCreation reports whether a and b agree on how the pool was made.
func sameCreation(a, b Config) bool {
	return a.DataLoopSize == b.DataLoopSize && a.MetadataLoopSize == b.MetadataLoopSize &&
		a.BlockSize == b.BlockSize && a.Filesystem == b.Filesystem && a.BaseSize == b.BaseSize &&
		a.DataDevice == b.DataDevice && a.MetadataDevice == b.MetadataDevice &&
		a.ThinPoolDevice == b.ThinPoolDevice && sameDirectLVM(a.DirectLVM, b.DirectLVM)
}

func adoptedName(cfg Config) string {
	switch {
	case cfg.DirectLVM != nil:
		return LVMDeviceName(directLVMVolume)
	case cfg.Mode() == ModeAdopted:
		return cfg.ThinPoolDevice
	}
	return ""
}

// Close releases the root's lock, if held.
func (p *Pool) Close() error {
	if p == nil {
		return nil
	}
	var err error
	if p.lock != nil {
		err = p.lock.Release()
		p.lock = nil
	}
	p.store.Close()
	return err
}

// Root returns the pool's root directory.
func (p *Pool) Root() string { return p.store.Root() }

// Store returns the pool's state files.
func (p *Pool) Store() *Store { return p.store }

// Names returns the pool's device-mapper names.
func (p *Pool) Names() Names { return p.names }

// Mode returns what the pool's data and metadata live on.
func (p *Pool) Mode() Mode { return p.rec.Mode }

// Config returns the pool's settings (as recorded, with this command's
// storage options applied).
func (p *Pool) Config() Config { return p.rec.Config }

// Record returns the pool's record: dmctl-pool.json, or what was inferred
// from a root Docker left.
func (p *Pool) Record() PoolRecord { return p.rec }

// DockerRoot reports whether the root has no dmctl record (a root Docker's
// driver left).
func (p *Pool) DockerRoot() bool { return p.docker }

// Shared reports whether other programs may keep thin devices in the
// pool: an adopted pool (dm.thinpooldev) belongs to whoever made it, so a
// thin id no device file names is theirs, not an orphan of dmctl's.
func (p *Pool) Shared() bool { return p.rec.Mode == ModeAdopted }

// RecoveryError returns why a transaction an interrupted command left
// open could not be finished or rolled back when the pool was opened, or
// nil.
func (p *Pool) RecoveryError() error { return p.recoverErr }

// Active reports whether the pool's device-mapper device exists with a
// live table.
func (p *Pool) Active() (bool, error) {
	info, err := p.env.DM.Info(p.names.Pool)
	if err != nil {
		if isNoDevice(err) {
			return false, nil
		}
		return false, fmt.Errorf("pool %s: %w", p.names.Pool, err)
	}
	return info.LiveTable(), nil
}

// writable checks that the pool was opened for changes.
func (p *Pool) writable() error {
	if p.lock == nil || !p.lock.exclusive {
		return fmt.Errorf("pool at %s: %w", p.Root(), ErrReadOnly)
	}
	return nil
}

// requireActive checks that the pool is active.
func (p *Pool) requireActive() error {
	active, err := p.Active()
	if err != nil {
		return err
	}
	if !active {
		return fmt.Errorf("pool %s: %w (run activate first)", p.names.Pool, ErrPoolInactive)
	}
	return nil
}

// forThinChange checks what every change of thin ids needs: the lock, an
// active pool and no unfinished transaction.
func (p *Pool) forThinChange() error {
	if err := p.writable(); err != nil {
		return err
	}
	if err := p.requireActive(); err != nil {
		return err
	}
	if p.recoverErr != nil {
		return fmt.Errorf("pool %s cannot change thin devices now: %w", p.names.Pool, p.recoverErr)
	}
	return p.loadThinState()
}

// poolStatus reads and parses the pool's status without making the kernel
// commit its metadata first.
func (p *Pool) poolStatus() (PoolStatus, error) {
	_, st, err := readPoolStatus(p.env.DM, p.names.Pool)
	return st, err
}

// readPoolStatus reads and parses the status of the thin pool name,
// without making the kernel commit its metadata first; the target gives
// the pool's length.
func readPoolStatus(dm DM, name string) (dmctl.Target, PoolStatus, error) {
	_, targets, err := dm.Status(name, dmctl.StatusOptions{NoFlush: true})
	if err != nil {
		if isNoDevice(err) {
			return dmctl.Target{}, PoolStatus{}, fmt.Errorf("pool %s: %w", name, ErrPoolInactive)
		}
		return dmctl.Target{}, PoolStatus{}, fmt.Errorf("pool %s status: %w", name, err)
	}
	if len(targets) != 1 || targets[0].Type != "thin-pool" {
		return dmctl.Target{}, PoolStatus{}, fmt.Errorf("pool %s: not a thin-pool device", name)
	}
	st, err := ParsePoolStatus(targets[0].Params)
	return targets[0], st, err
}

// poolTable reads and parses the pool's live table.
func (p *Pool) poolTable() (dmctl.Target, PoolTable, error) {
	return readPoolTable(p.env.DM, p.names.Pool)
}

// readPoolTable reads and parses the table of the thin pool name.
func readPoolTable(dm DM, name string) (dmctl.Target, PoolTable, error) {
	_, targets, err := dm.Table(name, dmctl.StatusOptions{})
	if err != nil {
		if isNoDevice(err) {
			return dmctl.Target{}, PoolTable{}, fmt.Errorf("pool %s: %w", name, ErrPoolInactive)
		}
		return dmctl.Target{}, PoolTable{}, fmt.Errorf("pool %s table: %w", name, err)
	}
	if len(targets) != 1 || targets[0].Type != "thin-pool" {
		return dmctl.Target{}, PoolTable{}, fmt.Errorf("pool %s: not a thin-pool device", name)
	}
	t, err := ParsePoolTable(targets[0].Params)
	return targets[0], t, err
}

// isNoDevice reports whether err says a dm device does not exist.
func isNoDevice(err error) bool {
	return errors.Is(err, dmctl.ErrNoDevice) || errors.Is(err, syscall.ENXIO)
}

// isBusy reports whether err says a device is busy.
func isBusy(err error) bool { return errors.Is(err, syscall.EBUSY) }

// removeOpts returns the options of every removal: retried while busy for
// a bounded time, deferred when asked.
func removeOpts(deferred bool) dmctl.RemoveOptions {
	return dmctl.RemoveOptions{Retry: true, Deferred: deferred}
}

// devicePaths returns the paths by which a dm device may be open.
func devicePaths(name string, dev dmctl.Dev) []string {
	return []string{mapperDir + name, fmt.Sprintf("/dev/dm-%d", dev.Minor())}
}

// validate checks what dmctl-pool.json says beyond its configuration,
// which applyRuntimeOpts validated: dmctl trusts no state file.
func (r PoolRecord) validate() error {
	if r.Mode != r.Config.Mode() {
		return fmt.Errorf("mode %q does not match the pool's configuration (%s)", r.Mode, r.Config.Mode())
	}
	if !validDMName(r.Prefix) {
		return fmt.Errorf("prefix %q cannot start device names", r.Prefix)
	}
	if len(NewNames(r.Prefix, adoptedName(r.Config)).Device(BaseID)) > MaxNameLen {
		return fmt.Errorf("prefix %q is too long for device names", r.Prefix)
	}
	return nil
}
