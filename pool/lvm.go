//go:build linux

package pool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// LVM thin pools.
//
// An LVM thin pool belongs to LVM: its table (low water mark, features,
// size) is LVM's, and a reload LVM does not know about breaks its next
// lvchange or lvextend. dmctl therefore never loads a table into an LVM
// pool; it grows one by asking LVM (lvextend), exactly as dmeventd's thin
// plugin does, and it runs LVM's tools only by absolute path from a fixed
// list of system directories, with a fixed argument vector in which every
// name or path an admin supplied follows "--".

// lvmUUIDPrefix starts the device-mapper uuid of every device LVM makes
// ("LVM-<vg uuid><lv uuid>[-<layer>]").
const lvmUUIDPrefix = "LVM-"

// lvmPackage names the Debian and Red Hat package of LVM's tools.
const lvmPackage = "lvm2"

// IsLVMUUID reports whether a device-mapper uuid is one LVM gave.
func IsLVMUUID(uuid string) bool { return strings.HasPrefix(uuid, lvmUUIDPrefix) }

// LVMVolume names an LVM logical volume.
type LVMVolume struct {
	VG string `json:"vg"`
	LV string `json:"lv"`
}

// String returns "VG/LV", the form LVM's tools take.
func (v LVMVolume) String() string { return v.VG + "/" + v.LV }

// SplitLVMName splits a device-mapper name LVM made into its volume group,
// logical volume and layer ("docker-thinpool-tpool" is docker, thinpool,
// tpool), as "dmsetup splitname" does: LVM doubles every '-' inside a
// name and joins the parts with a single '-'. ok is false when name is not
// of that form.
func SplitLVMName(name string) (vol LVMVolume, layer string, ok bool) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '-' {
			cur.WriteByte(c)
			continue
		}
		if i+1 < len(name) && name[i+1] == '-' {
			cur.WriteByte('-')
			i++
			continue
		}
		parts = append(parts, cur.String())
		cur.Reset()
	}
	parts = append(parts, cur.String())
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return LVMVolume{}, "", false
	}
	if len(parts) == 3 {
		layer = parts[2]
	}
	return LVMVolume{VG: parts[0], LV: parts[1]}, layer, true
}

// LVMDeviceName returns the device-mapper name LVM gives a logical volume:
// "VG-LV", with each '-' inside the names doubled.
func LVMDeviceName(vol LVMVolume) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "-", "--") }
	return esc(vol.VG) + "-" + esc(vol.LV)
}

// LVM runs LVM's command-line tools. HostLVM is the real one.
type LVM interface {
	// Run runs the LVM command (pvcreate, lvextend, ...) with args and
	// returns its standard output. A failure carries the command's last
	// line of standard error.
	Run(command string, args ...string) (string, error)
	// ProfileDir is where LVM reads profiles (/etc/lvm/profile).
	ProfileDir() string
	// Available checks that the commands are installed.
	Available(commands ...string) error
}

// ErrNoLVM means LVM's tools are not installed.
var ErrNoLVM = errors.New("install the " + lvmPackage + " package")

// lvmProgram returns the path of an LVM tool, or an error wrapping
// ErrNoLVM that names the package when it is not installed.
func lvmProgram(command string) (string, error) {
	path, err := SystemProgram(command)
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("%s is not in %s: %w", command, strings.Join(systemDirs, ", "), ErrNoLVM)
	}
	return path, err
}

// HostLVM runs the LVM tools installed on this machine.
type HostLVM struct{}

var _ LVM = HostLVM{}

// ProfileDir implements LVM.
func (HostLVM) ProfileDir() string { return "/etc/lvm/profile" }

// Available implements LVM.
func (HostLVM) Available(commands ...string) error {
	for _, c := range commands {
		if _, err := lvmProgram(c); err != nil {
			return err
		}
	}
	return nil
}

// Run implements LVM: the command is looked up in the fixed system
// directories only ($PATH is not used), run with a fixed environment, and
// its output is read as "C" locale text.
func (HostLVM) Run(command string, args ...string) (string, error) {
	path, err := lvmProgram(command)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(path, args...)
	cmd.Env = lvmEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		err = fmt.Errorf("%s %s: %w", command, strings.Join(args, " "), err)
		if msg := lastLine(errOut.String()); msg != "" {
			err = fmt.Errorf("%w (%s)", err, msg)
		}
		return out.String(), err
	}
	return out.String(), nil
}

// lvmEnv is the environment LVM's tools run with: a fixed PATH and locale,
// no warnings about descriptors the Go runtime keeps, and the caller's
// DM_DISABLE_UDEV (LVM then makes its own device nodes, as dmctl does).
func lvmEnv() []string {
	env := append(append([]string(nil), systemEnv...), "LVM_SUPPRESS_FD_WARNINGS=1")
	if v, ok := os.LookupEnv("DM_DISABLE_UDEV"); ok {
		env = append(env, "DM_DISABLE_UDEV="+v)
	}
	return env
}

// lastLine returns the last non-empty line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// lvmReportFields splits one line of an LVM report run with --noheadings
// and --separator ','.
func lvmReportFields(line string) []string {
	f := strings.Split(strings.TrimSpace(line), ",")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// ThinPoolLV is what LVM reports of a thin pool volume.
type ThinPoolLV struct {
	Volume       LVMVolume
	DataBytes    uint64 // size of the pool's data volume
	MetaBytes    uint64 // size of its metadata volume
	VGFreeBytes  uint64 // free space left in the volume group
	ExtentBytes  uint64 // the volume group's extent size
	Profile      string // metadata profile, "" when none
	SegmentType  string // "thin-pool"
	DMPath       string // /dev/mapper/<name>
	VGTotalBytes uint64
}

// lvmThinPool asks LVM about a thin pool volume.
func lvmThinPool(lvm LVM, vol LVMVolume) (ThinPoolLV, error) {
	out, err := lvm.Run("lvs", "--noheadings", "--nosuffix", "--units", "b", "--separator", ",",
		"-o", "vg_name,lv_name,segtype,lv_size,lv_metadata_size,vg_free,vg_extent_size,vg_size,lv_profile,lv_dm_path",
		"--", vol.String())
	if err != nil {
		return ThinPoolLV{}, fmt.Errorf("LVM volume %s: %w", vol, err)
	}
	for _, l := range strings.Split(out, "\n") {
		f := lvmReportFields(l)
		if len(f) != 10 {
			continue
		}
		var lv ThinPoolLV
		lv.Volume = LVMVolume{VG: f[0], LV: f[1]}
		lv.SegmentType = f[2]
		nums := []*uint64{&lv.DataBytes, &lv.MetaBytes, &lv.VGFreeBytes, &lv.ExtentBytes, &lv.VGTotalBytes}
		for i, s := range []string{f[3], f[4], f[5], f[6], f[7]} {
			if s == "" {
				continue
			}
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return ThinPoolLV{}, fmt.Errorf("LVM volume %s: bad size %q in lvs output", vol, s)
			}
			*nums[i] = n
		}
		lv.Profile, lv.DMPath = f[8], f[9]
		if lv.SegmentType != "thin-pool" {
			return lv, fmt.Errorf("LVM volume %s is a %s volume, not a thin pool", vol, lv.SegmentType)
		}
		return lv, nil
	}
	return ThinPoolLV{}, fmt.Errorf("LVM volume %s: lvs reported nothing", vol)
}

// lvextendData grows a thin pool volume's data to size bytes (LVM rounds
// up to whole extents). The size is absolute, not an increment: when
// dmeventd grew the volume meanwhile, LVM refuses instead of growing it
// twice.
func lvextendData(lvm LVM, vol LVMVolume, size uint64) error {
	_, err := lvm.Run("lvextend", "--size", strconv.FormatUint(size, 10)+"b", "--", vol.String())
	return err
}

// lvextendMetadata grows a thin pool volume's metadata to size bytes.
func lvextendMetadata(lvm LVM, vol LVMVolume, size uint64) error {
	_, err := lvm.Run("lvextend", "--poolmetadatasize", strconv.FormatUint(size, 10)+"b", "--", vol.String())
	return err
}
