//go:build linux

package pool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dmctl/dmctl/dmctl"
)

// direct-lvm: a pool set up with LVM on one block device, as Docker 17.06+
// did for --storage-opt dm.directlvm_device (moby's device_setup.go):
//
//	pvcreate -f DEV
//	vgcreate docker DEV
//	lvcreate --wipesignatures y -n thinpool docker --extents 95%VG
//	lvcreate --wipesignatures y -n thinpoolmeta docker --extents 1%VG
//	lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta
//	/etc/lvm/profile/docker-thinpool.profile: thin_pool_autoextend_threshold, _percent
//	lvchange --metadataprofile docker-thinpool docker/thinpool
//
// and then adopt /dev/mapper/docker-thinpool. The settings are kept in
// <root>/setup-config.json in Docker's format, and a later run with other
// settings (another device) is refused, as Docker refused it. dmctl also
// turns LVM's monitoring on (lvchange --monitor y), refuses a device that
// holds a filesystem, a partition table or an LVM label unless forced
// (found with its own probe, not blkid), and picks an interrupted setup up
// where it stopped: every step first looks at what LVM already has.

// Docker's names and defaults for direct-lvm.
const (
	DirectLVMGroup       = "docker"
	DirectLVMPool        = "thinpool"
	directLVMMeta        = "thinpoolmeta"
	directLVMProfile     = "docker-thinpool"
	directLVMChunkSize   = "512K"
	setupConfigFileName  = "setup-config.json"
	DefaultThinpPercent  = 95
	DefaultThinpMeta     = 1
	DefaultAutoExtendPct = 20
	DefaultAutoExtendThr = 80
)

// DirectLVMConfig is Docker's direct-lvm setup (its setup-config.json,
// hence the Go field names as JSON keys). Zero means Docker's default.
type DirectLVMConfig struct {
	Device              string // dm.directlvm_device
	ThinpPercent        uint64 // dm.thinp_percent: share of the volume group for data (95)
	ThinpMetaPercent    uint64 // dm.thinp_metapercent: share for metadata (1)
	AutoExtendPercent   uint64 // dm.thinp_autoextend_percent (20)
	AutoExtendThreshold uint64 // dm.thinp_autoextend_threshold (80)
}

// Normalized returns c with Docker's defaults in place of zeros.
func (c DirectLVMConfig) Normalized() DirectLVMConfig {
	def := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.ThinpPercent, DefaultThinpPercent)
	def(&c.ThinpMetaPercent, DefaultThinpMeta)
	def(&c.AutoExtendPercent, DefaultAutoExtendPct)
	def(&c.AutoExtendThreshold, DefaultAutoExtendThr)
	return c
}

// validate applies Docker's rules to the settings as given.
func (c DirectLVMConfig) validate() []error {
	var errs []error
	if c.Device == "" {
		errs = append(errs, errors.New("must provide device path in `dm.directlvm_device` in order to configure direct-lvm"))
	} else if !filepath.IsAbs(c.Device) {
		errs = append(errs, fmt.Errorf("dm.directlvm_device %q: want an absolute device path", c.Device))
	}
	if (c.ThinpPercent > 0) != (c.ThinpMetaPercent > 0) {
		errs = append(errs, errors.New("must set both `dm.thinp_percent` and `dm.thinp_metapercent` if either is specified"))
	}
	if n := c.Normalized(); n.ThinpPercent+n.ThinpMetaPercent > 100 {
		errs = append(errs, errors.New("combined `dm.thinp_percent` and `dm.thinp_metapercent` must not be greater than 100"))
	}
	return errs
}

// directLVMCommands are the LVM tools a direct-lvm setup runs.
var directLVMCommands = []string{"pvcreate", "vgcreate", "lvcreate", "lvconvert", "lvchange", "pvs", "lvs"}

// directLVMVolume is the thin pool volume direct-lvm makes.
var directLVMVolume = LVMVolume{VG: DirectLVMGroup, LV: DirectLVMPool}

// parsePercentOpt parses a direct-lvm percentage (an optional "%" suffix),
// which Docker required to lie between 1 and 99.
func parsePercentOpt(key, val string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), "%"), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("could not parse `%s=%s`", key, val)
	}
	if n == 0 || n >= 100 {
		return 0, fmt.Errorf("%s must be greater than 0 and less than 100", key)
	}
	return n, nil
}

// setupConfigPath returns <root>/setup-config.json.
func (s *Store) setupConfigPath() string { return filepath.Join(s.root, setupConfigFileName) }

// ReadSetupConfig reads Docker's setup-config.json; ok is false when it is
// missing or empty.
func (s *Store) ReadSetupConfig() (c DirectLVMConfig, ok bool, err error) {
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return c, false, nil
		}
		return c, false, fmt.Errorf("read direct-lvm setup: %w", err)
	}
	defer root.Close()
	b, err := root.ReadFile(setupConfigFileName)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return c, false, nil
		}
		return c, false, fmt.Errorf("read direct-lvm setup: %w", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return c, false, nil
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, false, fmt.Errorf("read direct-lvm setup %s: %w", s.setupConfigPath(), err)
	}
	return c, true, nil
}

// WriteSetupConfig writes setup-config.json.
func (s *Store) WriteSetupConfig(c DirectLVMConfig) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.setupConfigPath(), err)
	}
	if err := s.step("write", s.setupConfigPath()); err != nil {
		return err
	}
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.setupConfigPath(), err)
	}
	defer root.Close()
	if err := root.WriteFileAtomic(setupConfigFileName, b, 0o600); err != nil {
		return fmt.Errorf("write %w", err)
	}
	return nil
}

// RemoveSetupConfig removes setup-config.json.
func (s *Store) RemoveSetupConfig() error {
	if err := s.step("remove", s.setupConfigPath()); err != nil {
		return err
	}
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", s.setupConfigPath(), err)
	}
	defer root.Close()
	if err := root.Remove(setupConfigFileName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %w", err)
	}
	return root.Sync()
}

// errDirectLVMChanged is Docker's refusal of other direct-lvm settings.
var errDirectLVMChanged = errors.New("changing direct-lvm config is not supported")

// sameDirectLVM reports whether two settings describe the same setup.
func sameDirectLVM(a, b *DirectLVMConfig) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Normalized() == b.Normalized()
}

// checkDirectLVM checks, before anything changes, that LVM's tools are
// installed and that the direct-lvm device may be set up: a block device,
// not in use, holding no signature (unless forced) and in no volume group
// but a setup of ours this root already started; and that the root's
// earlier setup, if any, asked for the same.
func (p *Pool) checkDirectLVM() error {
	cfg := p.rec.Config.DirectLVM
	if err := p.env.lvm().Available(directLVMCommands...); err != nil {
		return fmt.Errorf("direct-lvm needs LVM's tools: %w", err)
	}
	if prev, ok, err := p.store.ReadSetupConfig(); err != nil {
		return err
	} else if ok && !sameDirectLVM(&prev, cfg) {
		return fmt.Errorf("%w (this root was set up on %s; pool destroy --remove-volumes undoes it)", errDirectLVMChanged, prev.Device)
	}
	dev, isBlock, err := p.env.Sys.IsBlockDevice(cfg.Device)
	if err != nil {
		return fmt.Errorf("dm.directlvm_device %s: %w", cfg.Device, err)
	}
	if !isBlock {
		return fmt.Errorf("dm.directlvm_device %s is not a block device", cfg.Device)
	}
	if hs, err := p.env.Sys.Holders(dev, []string{cfg.Device}); err != nil {
		return err
	} else if len(hs) > 0 && !p.ownSetupOn(hs) {
		words := make([]string, len(hs))
		for i, h := range hs {
			words[i] = h.String()
		}
		return fmt.Errorf("dm.directlvm_device %s is in use: %s", cfg.Device, strings.Join(words, ", "))
	}
	sig, found, err := p.env.Sys.ProbeSignature(cfg.Device)
	if err != nil {
		return err
	}
	if !found {
		return nil
	}
	if sig.Type == "LVM2_member" {
		vg, err := pvGroup(p.env.lvm(), cfg.Device)
		if err != nil {
			return err
		}
		switch {
		case vg == DirectLVMGroup && p.setupStarted():
			return nil // ours: an interrupted setup, picked up again
		case vg != "":
			return fmt.Errorf("dm.directlvm_device %s is already part of volume group %q: remove it from the volume group or give another device", cfg.Device, vg)
		}
	}
	if !p.rec.Config.DirectLVMForce {
		return fmt.Errorf("dm.directlvm_device %s holds %s; use dm.directlvm_device_force=true (--directlvm-device-force) to wipe it", cfg.Device, sig)
	}
	return nil
}

// setupStarted reports whether this root already started a direct-lvm
// setup (its record or Docker's setup-config.json says so).
func (p *Pool) setupStarted() bool {
	if _, ok, _ := p.store.ReadSetupConfig(); ok {
		return true
	}
	rec, ok, _ := p.store.ReadPoolRecord()
	return ok && rec.Config.DirectLVM != nil && rec.Config.DirectLVM.Device == p.rec.Config.DirectLVM.Device
}

// ownSetupOn reports whether the only holders of the device are the
// volumes of this root's own direct-lvm setup (device-mapper devices named
// docker-thinpool...).
func (p *Pool) ownSetupOn(hs []Holder) bool {
	if !p.setupStarted() {
		return false
	}
	for _, h := range hs {
		if h.Kind != HolderDevice || !strings.HasPrefix(h.Name, LVMDeviceName(directLVMVolume)) {
			return false
		}
	}
	return true
}

// pvGroup returns the volume group of the physical volume dev ("" when it
// is in none).
func pvGroup(lvm LVM, dev string) (string, error) {
	out, err := lvm.Run("pvs", "--noheadings", "-o", "vg_name", "--", dev)
	if err != nil {
		return "", fmt.Errorf("dm.directlvm_device %s: %w", dev, err)
	}
	return strings.TrimSpace(out), nil
}

// lvmState is what LVM has of a direct-lvm setup.
type lvmState struct {
	pv, vg         bool // the device is a physical volume, in volume group docker
	data, meta     bool // docker/thinpool and docker/thinpoolmeta exist (before lvconvert)
	pool           bool // docker/thinpool is a thin pool
	active         bool // and active
	otherVG        string
	unexpectedVols []string
}

// directLVMState asks LVM what exists of the setup on dev.
func directLVMState(lvm LVM, dev string) (lvmState, error) {
	var st lvmState
	vg, err := pvGroup(lvm, dev)
	if err != nil {
		if strings.Contains(err.Error(), "Failed to find physical volume") {
			return st, nil
		}
		return st, err
	}
	st.pv = true
	switch vg {
	case "":
		return st, nil
	case DirectLVMGroup:
		st.vg = true
	default:
		st.otherVG = vg
		return st, nil
	}
	out, err := lvm.Run("lvs", "--noheadings", "--separator", ",", "-o", "lv_name,segtype,lv_active", "--", DirectLVMGroup)
	if err != nil {
		return st, err
	}
	for _, l := range strings.Split(out, "\n") {
		f := lvmReportFields(l)
		if len(f) < 2 || f[0] == "" {
			continue
		}
		switch {
		case f[0] == DirectLVMPool && f[1] == "thin-pool":
			st.pool = true
			st.active = len(f) > 2 && f[2] == "active"
		case f[0] == DirectLVMPool:
			st.data = true
		case f[0] == directLVMMeta:
			st.meta = true
		default:
			st.unexpectedVols = append(st.unexpectedVols, f[0])
		}
	}
	return st, nil
}

// directLVMMade records what setupDirectLVM made in this run, for undo.
type directLVMMade struct {
	pv, vg, lvs, profile bool
}

// setupDirectLVM makes (or completes) the LVM thin pool on the device,
// as Docker did, and brings it up. warn receives what went wrong without
// stopping the setup (LVM's monitoring, when dmeventd cannot run).
func (p *Pool) setupDirectLVM(warn func(string)) (made directLVMMade, retErr error) {
	cfg := p.rec.Config.DirectLVM.Normalized()
	lvm := p.env.lvm()
	run := func(cmd string, args ...string) error {
		if err := p.store.step("lvm", cmd); err != nil {
			return err
		}
		_, err := lvm.Run(cmd, args...)
		if err != nil {
			return fmt.Errorf("direct-lvm setup on %s: %w", cfg.Device, err)
		}
		return nil
	}
	st, err := directLVMState(lvm, cfg.Device)
	if err != nil {
		return made, err
	}
	if st.otherVG != "" {
		return made, fmt.Errorf("dm.directlvm_device %s is already part of volume group %q", cfg.Device, st.otherVG)
	}
	if !st.pv {
		if err := run("pvcreate", "-f", "--", cfg.Device); err != nil {
			return made, err
		}
		made.pv = true
	}
	if !st.vg {
		if err := run("vgcreate", "--", DirectLVMGroup, cfg.Device); err != nil {
			return made, err
		}
		made.vg = true
	}
	if !st.pool {
		if !st.data {
			if err := run("lvcreate", "--wipesignatures", "y", "-n", DirectLVMPool, "--extents",
				fmt.Sprintf("%d%%VG", cfg.ThinpPercent), "--", DirectLVMGroup); err != nil {
				return made, err
			}
			made.lvs = true
		}
		if !st.meta {
			if err := run("lvcreate", "--wipesignatures", "y", "-n", directLVMMeta, "--extents",
				fmt.Sprintf("%d%%VG", cfg.ThinpMetaPercent), "--", DirectLVMGroup); err != nil {
				return made, err
			}
			made.lvs = true
		}
		if err := run("lvconvert", "-y", "--zero", "n", "-c", directLVMChunkSize, "--thinpool",
			directLVMVolume.String(), "--poolmetadata", DirectLVMGroup+"/"+directLVMMeta); err != nil {
			return made, err
		}
		made.lvs = true
	}
	if err := writeProfile(lvm.ProfileDir(), cfg); err != nil {
		return made, fmt.Errorf("direct-lvm setup: %w", err)
	}
	made.profile = true
	if err := run("lvchange", "--metadataprofile", directLVMProfile, "--", directLVMVolume.String()); err != nil {
		return made, err
	}
	if !st.pool || !st.active {
		if err := run("lvchange", "-ay", "--", directLVMVolume.String()); err != nil {
			return made, err
		}
	}
	if _, err := lvm.Run("lvchange", "--monitor", "y", "--", directLVMVolume.String()); err != nil && warn != nil {
		warn(fmt.Sprintf("LVM could not monitor %s, so LVM will not extend it by itself (%v); dmctl pool monitor extends it", directLVMVolume, err))
	}
	if err := p.store.WriteSetupConfig(cfg); err != nil {
		return made, err
	}
	return made, nil
}

// writeProfile writes LVM's docker-thinpool profile, Docker's text, into
// LVM's profile directory (made if missing), replacing it atomically.
func writeProfile(dir string, cfg DirectLVMConfig) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d, err := dmctl.OpenDir(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	text := fmt.Sprintf("activation{\nthin_pool_autoextend_threshold=%d\nthin_pool_autoextend_percent=%d\n}",
		cfg.AutoExtendThreshold, cfg.AutoExtendPercent)
	return d.WriteFileAtomic(directLVMProfile+".profile", []byte(text), 0o600)
}

// undoDirectLVM removes what setupDirectLVM made in this run.
func (p *Pool) undoDirectLVM(made directLVMMade) error {
	if made == (directLVMMade{}) {
		return nil
	}
	lvm := p.env.lvm()
	dev := p.rec.Config.DirectLVM.Device
	var errs []error
	try := func(cmd string, args ...string) {
		if _, err := lvm.Run(cmd, args...); err != nil {
			errs = append(errs, err)
		}
	}
	if made.lvs || made.vg {
		try("lvremove", "-y", "--", DirectLVMGroup)
	}
	if made.vg {
		try("vgremove", "-y", "--", DirectLVMGroup)
	}
	if made.pv {
		try("pvremove", "-y", "--", dev)
	}
	if made.profile {
		if err := os.Remove(filepath.Join(lvm.ProfileDir(), directLVMProfile+".profile")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := p.store.RemoveSetupConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeDirectLVM removes the LVM volumes a direct-lvm setup made: the
// thin pool, the volume group docker and the physical volume label, the
// autoextend profile and setup-config.json. The pool's thin devices must
// be gone (see Destroy).
func (p *Pool) removeDirectLVM() error {
	cfg := p.rec.Config.DirectLVM
	if cfg == nil {
		return fmt.Errorf("pool %s: dmctl did not create its LVM volumes (only a direct-lvm pool's are removed)", p.names.Pool)
	}
	lvm := p.env.lvm()
	st, err := directLVMState(lvm, cfg.Device)
	if err != nil {
		return err
	}
	if len(st.unexpectedVols) > 0 {
		return fmt.Errorf("volume group %s also holds %s: not removing it", DirectLVMGroup, strings.Join(st.unexpectedVols, ", "))
	}
	var errs []error
	if st.vg {
		if _, err := lvm.Run("vgremove", "-y", "--", DirectLVMGroup); err != nil {
			return err
		}
	}
	if st.pv {
		if _, err := lvm.Run("pvremove", "-y", "--", cfg.Device); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(lvm.ProfileDir(), directLVMProfile+".profile")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, err)
	}
	errs = append(errs, p.store.RemoveSetupConfig())
	return errors.Join(errs...)
}
