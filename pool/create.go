//go:build linux

package pool

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/dmctl/dmctl/dmctl"
)

// CreateOptions modify Create.
type CreateOptions struct {
	// Force uses a metadata device that already holds a thin-pool
	// superblock, wiping it.
	Force bool
	// Warn, when set, receives what went wrong without making Create
	// fail (LVM's monitoring of a direct-lvm pool, when dmeventd cannot
	// run).
	Warn func(string)
}

// poolFeatures are the feature arguments of every pool table dmctl loads,
// Docker's.
const poolFeatures = "1 skip_block_zeroing"

// poolTarget returns the pool's table: "0 <data sectors> thin-pool <meta
// MAJ:MIN> <data MAJ:MIN> <block sectors> <low water> 1 skip_block_zeroing".
func poolTarget(dataSectors uint64, meta, data dmctl.Dev, blockSectors, lowWater uint64) dmctl.Target {
	return dmctl.Target{Start: 0, Length: dataSectors, Type: "thin-pool",
		Params: meta.String() + " " + data.String() + " " + strconv.FormatUint(blockSectors, 10) + " " +
			strconv.FormatUint(lowWater, 10) + " " + poolFeatures}
}

// thinTarget returns a thin device's table: "0 <sectors> thin <pool
// MAJ:MIN> <thin id>".
func thinTarget(sectors uint64, pool dmctl.Dev, devID int) dmctl.Target {
	return dmctl.Target{Start: 0, Length: sectors, Type: "thin",
		Params: pool.String() + " " + strconv.Itoa(devID)}
}

// Create makes a new pool at root as Docker's driver did on first start:
// the state directories, then (loop mode) sparse data and metadata files
// attached to loop devices, or (direct mode) the two block devices, or
// (adopted mode) an existing empty thin pool; then the base device with its
// filesystem. It refuses a root that already has a pool, a device-mapper
// name already taken, and direct devices holding a thin-pool superblock,
// a filesystem, a partition table or an LVM label (unless opts.Force). On failure everything made is undone. The returned
// pool holds the root's lock until Close.
func Create(root string, cfg Config, env Env, opts CreateOptions) (p *Pool, retErr error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := resolveConfig(env, &cfg); err != nil {
		return nil, err
	}
	if cfg.DirectLVM != nil {
		n := cfg.DirectLVM.Normalized()
		cfg.DirectLVM = &n
	}
	mode := cfg.Mode()
	// What can be checked before the root exists is checked first, so
	// that a refusal leaves nothing behind.
	if mode == ModeDirect {
		if err := checkDirectDevices(env, cfg, opts); err != nil {
			return nil, fmt.Errorf("create pool at %s: %w", root, err)
		}
	}
	store := NewStore(root)
	store.hook = env.storeHook
	made, err := store.Init(mode == ModeLoop)
	if err != nil {
		return nil, errors.Join(err, store.Uninit(made))
	}
	p = &Pool{env: env, store: store, mkfsArgs: cfg.MkfsArgs}
	building := p // p is nil once an error is returned
	defer func() {
		if retErr != nil {
			building.Close()
			// The root goes back to what it was: a create that failed
			// can simply be run again.
			if has, err := store.HasState(); err == nil && !has {
				retErr = errors.Join(retErr, store.Uninit(made))
			}
		}
	}()
	lock, err := store.acquireLock(LockExclusive, env.lockTimeout())
	if err != nil {
		return nil, err
	}
	p.lock = lock
	if has, err := store.HasState(); err != nil {
		return nil, err
	} else if has {
		return nil, fmt.Errorf("create pool at %s: %w (activate it, or destroy it first)", root, ErrPoolExists)
	}
	prefix, err := RootPrefix(root, cfg.NameWord)
	if err != nil {
		return nil, err
	}
	p.names = NewNames(prefix, adoptedName(cfg))
	p.rec = PoolRecord{Version: PoolRecordVersion, Mode: mode, Prefix: prefix, PoolName: p.names.Pool,
		Config: cfg, CreatedAt: env.now().UTC()}
	if err := p.checkCreate(opts); err != nil {
		return nil, fmt.Errorf("create pool at %s: %w", root, err)
	}
	if err := p.build(opts); err != nil {
		return nil, fmt.Errorf("create pool at %s: %w", root, err)
	}
	return p, nil
}

// checkCreate validates everything Create needs before anything is
// changed.
func (p *Pool) checkCreate(opts CreateOptions) error {
	cfg := &p.rec.Config
	if l := len(p.names.Device(BaseID)); l > MaxNameLen || len(p.names.Pool) > MaxNameLen {
		return fmt.Errorf("device names starting %q are longer than %d bytes", p.names.Prefix, MaxNameLen)
	}
	if _, err := p.env.DM.Info(p.names.Device(BaseID)); err == nil {
		return fmt.Errorf("device-mapper device %s: %w", p.names.Device(BaseID), ErrDeviceExists)
	} else if !isNoDevice(err) {
		return err
	}
	switch p.rec.Mode {
	case ModeAdopted:
		if cfg.DirectLVM != nil {
			return p.checkDirectLVM()
		}
		return p.checkAdopt()
	case ModeDirect:
		if err := checkDirectDevices(p.env, *cfg, opts); err != nil {
			return err
		}
	}
	if _, err := p.env.DM.Info(p.names.Pool); err == nil {
		return fmt.Errorf("device-mapper device %s: %w", p.names.Pool, ErrPoolExists)
	} else if !isNoDevice(err) {
		return err
	}
	return nil
}

// checkDirectDevices checks a direct pool's devices: two different block
// devices, and, unless forced, no thin-pool metadata on the metadata
// device and nothing blkid would find (a filesystem, a partition table, an
// LVM label...) on either: the pool overwrites both.
func checkDirectDevices(env Env, cfg Config, opts CreateOptions) error {
	var devs []dmctl.Dev
	for _, dev := range []string{cfg.DataDevice, cfg.MetadataDevice} {
		n, ok, err := env.Sys.IsBlockDevice(dev)
		if err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%s is not a block device", dev)
		}
		devs = append(devs, n)
	}
	if cfg.DataDevice == cfg.MetadataDevice || devs[0] == devs[1] {
		return fmt.Errorf("dm.datadev and dm.metadatadev are the same device %s", cfg.DataDevice)
	}
	head, err := readMetadataHeader(cfg.MetadataDevice)
	if err != nil {
		return err
	}
	if opts.Force {
		return nil
	}
	if hasThinPoolMagic(head) {
		return fmt.Errorf("metadata device %s already holds thin-pool metadata (force to wipe it)", cfg.MetadataDevice)
	}
	for _, d := range []struct{ what, path string }{{"data", cfg.DataDevice}, {"metadata", cfg.MetadataDevice}} {
		sig, found, err := env.Sys.ProbeSignature(d.path)
		if err != nil {
			return err
		}
		if found {
			return fmt.Errorf("%s device %s holds %s, which the pool would overwrite: wipe it first (wipefs -a), or force", d.what, d.path, sig)
		}
	}
	return nil
}

// build makes the pool and its base device, undoing everything on
// failure.
func (p *Pool) build(opts CreateOptions) (retErr error) {
	var made []string     // state files to remove on failure
	var madeLoop []string // loop files (names in devicemapper/) to remove on failure
	var started bool
	var lvmMade directLVMMade
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, p.undoBuild(made, madeLoop, started, lvmMade))
		}
	}()
	// The record goes first: a command killed from here on leaves a root
	// that activate completes.
	made = append(made, poolConfigFileName)
	if err := p.store.WritePoolRecord(p.rec); err != nil {
		return err
	}
	cfg := p.rec.Config
	switch p.rec.Mode {
	case ModeLoop:
		for _, f := range p.loopFiles() {
			if err := p.store.step("create", f.path); err != nil {
				return err
			}
			if err := p.store.createLoopFile(f.name, f.size); err != nil {
				if !errors.Is(err, fs.ErrExist) {
					madeLoop = append(madeLoop, f.name)
				}
				return err
			}
			madeLoop = append(madeLoop, f.name)
		}
	case ModeDirect:
		if err := p.store.step("zero", cfg.MetadataDevice); err != nil {
			return err
		}
		if err := zeroMetadataHeader(cfg.MetadataDevice); err != nil {
			return err
		}
	}
	if p.rec.Mode != ModeAdopted {
		started = true
		if err := p.startPool(); err != nil {
			return err
		}
	}
	if cfg.DirectLVM != nil {
		var err error
		if lvmMade, err = p.setupDirectLVM(opts.Warn); err != nil {
			return err
		}
		if err := p.checkAdopt(); err != nil {
			return err
		}
		if err := p.store.WritePoolRecord(p.rec); err != nil {
			return err
		}
	}
	made = append(made, BaseID, deviceSetFileName, transactionFileName)
	if err := p.loadThinState(); err != nil {
		return err
	}
	return p.createBase()
}

// undoBuild removes what build made.
func (p *Pool) undoBuild(made, madeLoop []string, started bool, lvmMade directLVMMade) error {
	var errs []error
	base := p.names.Device(BaseID)
	if _, err := p.env.DM.Remove(base, removeOpts(false)); err != nil && !isNoDevice(err) {
		errs = append(errs, err)
	}
	if p.rec.Mode == ModeAdopted && p.ids != nil {
		// The pool is not ours: give the base's thin id back and the
		// transaction id the pool had.
		if meta, err := p.store.ReadDevice(BaseID); err == nil {
			if _, err := p.deleteThin(meta, false); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			if t, ok, err := p.store.ReadTransaction(); err != nil || ok && t.OpenTransactionID > p.txID {
				// An open transaction is left for recovery; so is the id.
				return errors.Join(append(errs, err)...)
			}
			errs = append(errs, p.restoreTransactionID())
		}
	}
	if p.rec.Config.DirectLVM != nil && len(errs) == 0 {
		errs = append(errs, p.undoDirectLVM(lvmMade))
	}
	if started {
		if err := p.stopPool(); err != nil {
			// Keep the files the pool still uses; destroy removes them.
			return errors.Join(append(errs, err)...)
		}
		if p.rec.Mode == ModeDirect {
			errs = append(errs, zeroPoolMetadata(p.rec.Config.MetadataDevice))
		}
	}
	for i := len(made) - 1; i >= 0; i-- {
		if err := p.store.remove(made[i]); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(madeLoop) - 1; i >= 0; i-- {
		if err := p.store.removeLoopFile(madeLoop[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loopFile is one of a loop pool's files and its configured size.
type loopFile struct {
	name string // in devicemapper/
	path string
	size uint64
}

// loopFiles returns the data and metadata files of a loop pool.
func (p *Pool) loopFiles() []loopFile {
	return []loopFile{
		{dataFileName, p.store.DataFile(), p.rec.Config.DataLoopSize},
		{metadataFileName, p.store.MetadataFile(), p.rec.Config.MetadataLoopSize},
	}
}

// ensureLoopFiles makes the loop files a create killed before making them
// left missing. Files missing from a pool that already has devices are an
// error: their data is gone.
func (p *Pool) ensureLoopFiles() error {
	for _, f := range p.loopFiles() {
		err := p.store.checkLoopFile(f.name)
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pool %s: %w", p.names.Pool, err)
		}
		devs, derr := p.store.Devices()
		if derr != nil {
			return derr
		}
		if p.docker || len(devs) > 0 {
			return fmt.Errorf("pool %s: loop file %s is missing: %w", p.names.Pool, f.path, err)
		}
		// A pool create interrupted before its files: make them now.
		if err := p.store.ensureDir(loopDirName); err != nil {
			return err
		}
		if err := p.store.createLoopFile(f.name, f.size); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

// startPool loads the pool's device-mapper device (loop or direct mode):
// it finds or attaches the loop devices, reads the block size from the
// metadata superblock when the metadata is already formatted (else from
// the configuration), and creates the pool with its table. Loops it
// attached are detached again if the pool cannot be made.
func (p *Pool) startPool() (retErr error) {
	cfg := p.rec.Config
	var dataPath, metaPath, metaSource string
	switch p.rec.Mode {
	case ModeLoop:
		var attached []dmctl.LoopDevice
		defer func() {
			for i := range attached {
				attached[i].Release()
				if retErr != nil {
					p.env.Sys.DetachLoop(attached[i].Path)
				}
			}
		}()
		for _, f := range p.loopFiles() {
			// A loop file must be the root's own regular file: a link
			// could point the pool at any file or disk.
			if err := p.store.checkLoopFile(f.name); err != nil {
				return fmt.Errorf("pool %s: %w", p.names.Pool, err)
			}
		}
		for _, file := range []string{p.store.DataFile(), p.store.MetadataFile()} {
			ld, found, err := p.env.Sys.FindLoop(file)
			if err != nil {
				return err
			}
			if !found {
				if ld, err = p.env.Sys.AttachLoop(file, dmctl.LoopOptions{Autoclear: true, DirectIO: cfg.DirectIO}); err != nil {
					return err
				}
				attached = append(attached, ld)
			}
			if file == p.store.DataFile() {
				dataPath = ld.Path
			} else {
				metaPath = ld.Path
			}
		}
		metaSource = p.store.MetadataFile()
	case ModeDirect:
		dataPath, metaPath, metaSource = cfg.DataDevice, cfg.MetadataDevice, cfg.MetadataDevice
	default:
		return fmt.Errorf("pool %s is not dmctl's to start (mode %s)", p.names.Pool, p.rec.Mode)
	}
	dataDev, ok, err := p.env.Sys.IsBlockDevice(dataPath)
	if err != nil || !ok {
		return fmt.Errorf("pool data device %s: not a block device: %w", dataPath, err)
	}
	metaDev, ok, err := p.env.Sys.IsBlockDevice(metaPath)
	if err != nil || !ok {
		return fmt.Errorf("pool metadata device %s: not a block device: %w", metaPath, err)
	}
	size, err := p.env.Sys.DeviceSize(dataPath)
	if err != nil {
		return err
	}
	blockSectors := cfg.BlockSectors()
	head, err := readMetadataHeader(metaSource)
	if err != nil {
		return err
	}
	if err := p.checkMetadataBeforeLoad(metaSource, head); err != nil {
		return err
	}
	if err := p.removeHalfMade(p.names.Pool); err != nil {
		return err
	}
	if s, ok := metadataBlockSectors(head); ok {
		blockSectors = s
	}
	if size/SectorBytes < blockSectors {
		return fmt.Errorf("pool data device %s is smaller than one %d-byte block", dataPath, blockSectors*SectorBytes)
	}
	t := poolTarget(size/SectorBytes, metaDev, dataDev, blockSectors, cfg.LowWaterMark)
	if _, err := p.createDevice(p.names.Pool, []dmctl.Target{t}); err != nil {
		return fmt.Errorf("create pool %s: %w", p.names.Pool, err)
	}
	return nil
}

// stopPool removes the pool's device-mapper device (not an adopted one)
// and detaches its loop devices.
func (p *Pool) stopPool() error {
	var errs []error
	if p.rec.Mode != ModeAdopted {
		if _, err := p.env.DM.Remove(p.names.Pool, removeOpts(false)); err != nil && !isNoDevice(err) {
			if isBusy(err) {
				err = fmt.Errorf("remove pool %s: %w: %w", p.names.Pool, ErrInUse, err)
			}
			return err
		}
	}
	if p.rec.Mode == ModeLoop {
		for _, file := range []string{p.store.DataFile(), p.store.MetadataFile()} {
			ld, found, err := p.env.Sys.FindLoop(file)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
				continue
			}
			if found {
				errs = append(errs, p.env.Sys.DetachLoop(ld.Path))
			}
		}
	}
	return errors.Join(errs...)
}

// createBase makes the base device: a new thin id, activated, a
// filesystem made on it and probed, its UUID and type recorded in
// deviceset-metadata, then deactivated.
func (p *Pool) createBase() (retErr error) {
	meta, err := p.createThin(DeviceMeta{ID: BaseID, Size: p.rec.Config.BaseSize, CreatedAt: p.env.now().UTC()}, nil)
	if err != nil {
		return err
	}
	name := p.names.Device(BaseID)
	if _, err := p.activateDevice(meta); err != nil {
		return err
	}
	defer func() {
		if _, err := p.env.DM.Remove(name, removeOpts(false)); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()
	// mkfs takes only arguments this command was given (pool create's
	// dm.mkfsarg): never ones read from a state file.
	if err := p.env.Sys.Mkfs(p.rec.Config.Filesystem, mapperDir+name, p.mkfsArgs); err != nil {
		return err
	}
	fsi, err := p.env.Sys.ProbeFilesystem(mapperDir + name)
	if err != nil {
		return fmt.Errorf("base device %s: %w", name, err)
	}
	meta.Initialized = true
	if err := p.store.WriteDevice(meta); err != nil {
		return err
	}
	p.replaceDevice(meta)
	p.devset.BaseDeviceUUID = fsi.UUID
	p.devset.BaseDeviceFilesystem = fsi.Type
	p.devset.NextDeviceID = p.ids.last
	return p.store.WriteDeviceSet(p.devset)
}
