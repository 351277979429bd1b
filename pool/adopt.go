//go:build linux

package pool

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Adopted pools (dm.thinpooldev).
//
// An adopted pool belongs to whoever made it, most often LVM. dmctl makes
// its thin devices in it and keeps its own state under the root, but it
// never loads a table into the pool, never removes it, and gives it back
// as it found it: pool destroy deletes dmctl's thin ids and puts the
// pool's transaction id back to what it was when dmctl took it over.

// ResolveThinPoolDevice turns what an admin gives as dm.thinpooldev into
// the pool's device-mapper name. It takes a name ("docker-thinpool"), a
// node under /dev/mapper ("/dev/mapper/docker-thinpool") or any other
// node of the device, such as LVM's /dev/VG/LV; a node is resolved through
// its device number to the name the kernel knows. A /dev/VG/LV path whose
// node is missing (the volume is not active) gives the name LVM will
// activate it under.
func ResolveThinPoolDevice(env Env, spec string) (string, error) {
	if spec == "" || !strings.ContainsRune(spec, '/') {
		return spec, nil
	}
	if name, ok := strings.CutPrefix(spec, mapperDir); ok && name != "" && !strings.ContainsRune(name, '/') {
		return name, nil
	}
	if !filepath.IsAbs(spec) {
		return "", fmt.Errorf("dm.thinpooldev %q: want a device-mapper name or an absolute device path", spec)
	}
	dev, isBlock, err := env.Sys.IsBlockDevice(spec)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if vol, ok := lvmPathVolume(spec); ok {
				return LVMDeviceName(vol), nil
			}
		}
		return "", fmt.Errorf("dm.thinpooldev %s: %w", spec, err)
	}
	if !isBlock {
		return "", fmt.Errorf("dm.thinpooldev %s: not a block device", spec)
	}
	info, err := env.DM.InfoByDev(dev)
	if err != nil {
		if isNoDevice(err) {
			return "", fmt.Errorf("dm.thinpooldev %s: device %s is not a device-mapper device", spec, dev)
		}
		return "", fmt.Errorf("dm.thinpooldev %s: %w", spec, err)
	}
	return info.Name, nil
}

// lvmPathVolume reads /dev/VG/LV.
func lvmPathVolume(path string) (LVMVolume, bool) {
	rest, ok := strings.CutPrefix(filepath.Clean(path), "/dev/")
	if !ok {
		return LVMVolume{}, false
	}
	vg, lv, ok := strings.Cut(rest, "/")
	if !ok || vg == "" || lv == "" || strings.ContainsRune(lv, '/') || vg == "mapper" {
		return LVMVolume{}, false
	}
	return LVMVolume{VG: vg, LV: lv}, true
}

// resolveConfig resolves cfg.ThinPoolDevice in place, and makes a
// direct-lvm device path canonical (symbolic links such as
// /dev/disk/by-id/... followed), so that the same device is recognised
// however it is named.
func resolveConfig(env Env, cfg *Config) error {
	name, err := ResolveThinPoolDevice(env, cfg.ThinPoolDevice)
	if err != nil {
		return err
	}
	cfg.ThinPoolDevice = name
	if cfg.DirectLVM != nil && cfg.DirectLVM.Device != "" {
		if real, err := filepath.EvalSymlinks(cfg.DirectLVM.Device); err == nil {
			d := *cfg.DirectLVM
			d.Device = real
			cfg.DirectLVM = &d
		}
	}
	return nil
}

// checkAdopt applies Docker's rule for taking over an existing pool: it
// must be active and, as long as it has no base device of ours, unused
// (no used data blocks, transaction id 0). Any table the kernel accepts
// will do: LVM's low water mark of 0, its 512 KiB blocks, features such as
// no_discard_passdown. The block size and, for an LVM pool, its volume are
// recorded.
func (p *Pool) checkAdopt() error {
	if err := p.requireActive(); err != nil {
		return err
	}
	_, table, err := p.poolTable()
	if err != nil {
		return err
	}
	st, err := p.poolStatus()
	if err != nil {
		return err
	}
	if st.Failed || !st.Writable() {
		return fmt.Errorf("thin pool %s is in %s mode: dmctl cannot make devices in it", p.names.Pool, st.Mode)
	}
	if st.UsedDataBlocks != 0 {
		//lint:ignore ST1005 Docker's own wording, which admins search for
		return fmt.Errorf("Unable to take ownership of thin-pool (%s) that already has used data blocks", p.names.Pool)
	}
	if st.TransactionID != 0 {
		//lint:ignore ST1005 Docker's own wording, which admins search for
		return fmt.Errorf("Unable to take ownership of thin-pool (%s) with non-zero transaction ID", p.names.Pool)
	}
	p.rec.Config.BlockSize = table.BlockSectors * SectorBytes
	p.rec.Config.LowWaterMark = 0 // the pool's own; dmctl never changes it
	p.rec.AdoptedTransactionID = st.TransactionID
	vol, err := p.poolLVMVolume()
	if err != nil {
		return err
	}
	p.rec.LVM = vol
	return nil
}

// poolLVMVolume returns the LVM volume of the active pool when LVM made
// it (its uuid says so), or nil.
func (p *Pool) poolLVMVolume() (*LVMVolume, error) {
	info, err := p.env.DM.Info(p.names.Pool)
	if err != nil {
		if isNoDevice(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("pool %s: %w", p.names.Pool, err)
	}
	if !IsLVMUUID(info.UUID) {
		return nil, nil
	}
	vol, _, ok := SplitLVMName(p.names.Pool)
	if !ok {
		return nil, fmt.Errorf("pool %s has an LVM uuid but not an LVM name", p.names.Pool)
	}
	return &vol, nil
}

// LVMVolume returns the LVM volume of an adopted LVM thin pool, from the
// pool's record or, for a root Docker left, from the active pool; nil for
// a pool LVM did not make.
func (p *Pool) LVMVolume() (*LVMVolume, error) {
	if p.rec.Mode != ModeAdopted {
		return nil, nil
	}
	if p.rec.LVM != nil {
		v := *p.rec.LVM
		return &v, nil
	}
	return p.poolLVMVolume()
}

// inactiveAdoptedError says how to bring an adopted pool up.
func (p *Pool) inactiveAdoptedError() error {
	how := "activate it with the tool that made it"
	if p.rec.LVM != nil {
		how = fmt.Sprintf("activate it with: vgchange -ay %s (or lvchange -ay %s)", p.rec.LVM.VG, p.rec.LVM)
	}
	return fmt.Errorf("adopted pool %s: %w (%s)", p.names.Pool, ErrPoolInactive, how)
}

// restoreTransactionID puts an adopted pool's transaction id back to the
// one it had when dmctl took it over, once dmctl's thin ids are gone, so
// that its owner finds it as it was (and it can be adopted again).
func (p *Pool) restoreTransactionID() error {
	st, err := p.poolStatus()
	if err != nil {
		return err
	}
	want := p.rec.AdoptedTransactionID
	if st.TransactionID == want {
		return nil
	}
	if err := p.message(msgSetTransactionID(st.TransactionID, want)); err != nil {
		return fmt.Errorf("pool %s: restore transaction id %d: %w", p.names.Pool, want, err)
	}
	p.txID = want
	return nil
}
