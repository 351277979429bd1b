package pool

import (
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultConfig(t *testing.T) {
	c := defaultConfig(FSXFS)
	want := Config{NameWord: "docker", DataLoopSize: 100 << 30, MetadataLoopSize: 2 << 30, BaseSize: 10 << 30,
		BlockSize: 64 << 10, LowWaterMark: 32768, Filesystem: "xfs", MinFreeSpacePercent: 10,
		DeferredRemoval: true, DeferredDeletion: true}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaultConfig(xfs) = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaultConfig(xfs).Validate() = %v, want nil", err)
	}
	if c.BlockSectors() != 128 {
		t.Errorf("BlockSectors() = %d, want 128", c.BlockSectors())
	}
	if c.Mode() != ModeLoop || !c.Discard() {
		t.Errorf("default Mode() = %s, Discard() = %v, want loop, true", c.Mode(), c.Discard())
	}
}

func TestDefaultFilesystem(t *testing.T) {
	found := func(string) (string, error) { return "/usr/sbin/mkfs.xfs", nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	if got := DefaultFilesystem(found); got != "xfs" {
		t.Errorf("DefaultFilesystem(found) = %q, want xfs", got)
	}
	if got := DefaultFilesystem(missing); got != "ext4" {
		t.Errorf("DefaultFilesystem(missing) = %q, want ext4", got)
	}
}

func TestApplyStorageOpts(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		opts []string
		edit func(*Config)
	}{
		{"basesize", []string{"dm.basesize=20G"}, func(c *Config) { c.BaseSize = 20 << 30 }},
		{"key case", []string{"DM.BaseSize=20g"}, func(c *Config) { c.BaseSize = 20 << 30 }},
		{"loop sizes", []string{"dm.loopdatasize=200GB", "dm.loopmetadatasize=4G"},
			func(c *Config) { c.DataLoopSize, c.MetadataLoopSize = 200<<30, 4<<30 }},
		{"fs", []string{"dm.fs=EXT4"}, func(c *Config) { c.Filesystem = "ext4" }},
		{"mkfsarg", []string{"dm.mkfsarg=-O ^has_journal", "dm.mkfsarg=-m 0"},
			func(c *Config) { c.MkfsArgs = []string{"-O ^has_journal", "-m 0"} }},
		{"mountopt", []string{"dm.mountopt=nodiscard", "dm.mountopt=noatime"},
			func(c *Config) { c.MountOptions = "nodiscard,noatime" }},
		{"blocksize", []string{"dm.blocksize=512K"}, func(c *Config) { c.BlockSize = 512 << 10 }},
		{"blkdiscard off", []string{"dm.blkdiscard=false"}, func(c *Config) { c.BlkDiscard = &no }},
		{"blkdiscard on", []string{"dm.blkdiscard=true"}, func(c *Config) { c.BlkDiscard = &yes }},
		{"min free", []string{"dm.min_free_space=5%"}, func(c *Config) { c.MinFreeSpacePercent = 5 }},
		{"deferred", []string{"dm.use_deferred_removal=false", "dm.use_deferred_deletion=false"},
			func(c *Config) { c.DeferredRemoval, c.DeferredDeletion = false, false }},
		{"direct", []string{"dm.datadev=/dev/sdb1", "dm.metadatadev=/dev/sdc1"},
			func(c *Config) { c.DataDevice, c.MetadataDevice = "/dev/sdb1", "/dev/sdc1" }},
		{"thinpooldev", []string{"dm.thinpooldev=/dev/mapper/docker-thinpool"},
			func(c *Config) { c.ThinPoolDevice = "docker-thinpool" }},
		{"udev override", []string{"dm.override_udev_sync_check=true"}, func(*Config) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want := defaultConfig(FSXFS), defaultConfig(FSXFS)
			tc.edit(&want)
			if err := got.ApplyStorageOpts(tc.opts); err != nil {
				t.Fatalf("ApplyStorageOpts(%q) = %v, want nil", tc.opts, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ApplyStorageOpts(%q) = %+v, want %+v", tc.opts, got, want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate() after %q = %v, want nil", tc.opts, err)
			}
		})
	}
}

func TestApplyStorageOptsErrors(t *testing.T) {
	tests := []struct {
		opt, want string
	}{
		{"dm.basesize", "want key=value"},
		{"dm.basesize=lots", "invalid size"},
		{"dm.basesize=0", "greater than 0"},
		{"dm.fs=btrfs", "unsupported filesystem"},
		{"dm.min_free_space=10", "needs a % suffix"},
		{"dm.min_free_space=100%", "between 0% and 99%"},
		{"dm.min_free_space=-1%", "between 0% and 99%"},
		{"dm.blkdiscard=maybe", "not a boolean"},
		{"dm.use_deferred_removal=2", "not a boolean"},
		{"dm.thinp_percent=100", "must be greater than 0 and less than 100"},
		{"dm.thinp_autoextend_threshold=0", "must be greater than 0 and less than 100"},
		{"dm.thinp_metapercent=x", "could not parse `dm.thinp_metapercent=x`"},
		{"dm.directlvm_device_force=sure", "not a boolean"},
		{"dm.nonsense=1", "unknown storage option"},
		{"size=10G", "unknown storage option"},
	}
	for _, tc := range tests {
		c := defaultConfig(FSXFS)
		err := c.ApplyStorageOpts([]string{tc.opt})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ApplyStorageOpts(%q) = %v, want error containing %q", tc.opt, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ApplyStorageOpts(%q) error %q has several lines, want one", tc.opt, err)
		}
	}
	// Every bad option is reported, one line each.
	c := defaultConfig(FSXFS)
	err := c.ApplyStorageOpts([]string{"dm.fs=zfs", "dm.bogus=1", "dm.basesize=1G"})
	if err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("ApplyStorageOpts(two bad) = %v, want two lines", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"block too small", func(c *Config) { c.BlockSize = 32 << 10 }, "multiple of 64K"},
		{"block not multiple", func(c *Config) { c.BlockSize = 96 << 10 }, "multiple of 64K"},
		{"block too big", func(c *Config) { c.BlockSize = 2 << 30 }, "multiple of 64K"},
		{"zero data", func(c *Config) { c.DataLoopSize = 0 }, "dm.loopdatasize"},
		{"zero metadata", func(c *Config) { c.MetadataLoopSize = 0 }, "dm.loopmetadatasize"},
		{"zero base", func(c *Config) { c.BaseSize = 0 }, "dm.basesize"},
		{"odd base", func(c *Config) { c.BaseSize = 1000 }, "multiple of 512"},
		{"fs", func(c *Config) { c.Filesystem = "btrfs" }, "unsupported filesystem"},
		{"min free", func(c *Config) { c.MinFreeSpacePercent = 100 }, "between 0% and 99%"},
		{"deletion without removal", func(c *Config) { c.DeferredRemoval = false }, "needs dm.use_deferred_removal"},
		{"thinpool and datadev", func(c *Config) { c.ThinPoolDevice, c.DataDevice = "tp", "/dev/sdb" }, "cannot be combined"},
		{"datadev alone", func(c *Config) { c.DataDevice = "/dev/sdb" }, "must be given together"},
		{"low water", func(c *Config) { c.LowWaterMark = 0 }, "low water"},
		{"word", func(c *Config) { c.NameWord = "" }, "name prefix"},
	}
	for _, tc := range tests {
		c := defaultConfig(FSXFS)
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
	c := defaultConfig(FSXFS)
	c.BlockSize, c.BaseSize = 1, 0
	if err := c.Validate(); err == nil || len(strings.Split(err.Error(), "\n")) != 2 {
		t.Errorf("Validate() with two problems = %v, want two lines", err)
	}
}

func TestDiscardDefault(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		edit func(*Config)
		want bool
	}{
		{"loop", func(*Config) {}, true},
		{"loop off", func(c *Config) { c.BlkDiscard = &no }, false},
		{"direct", func(c *Config) { c.DataDevice, c.MetadataDevice = "/dev/a", "/dev/b" }, false},
		{"direct on", func(c *Config) { c.DataDevice, c.MetadataDevice, c.BlkDiscard = "/dev/a", "/dev/b", &yes }, true},
		{"adopted", func(c *Config) { c.ThinPoolDevice = "tp" }, false},
	}
	for _, tc := range tests {
		c := defaultConfig(FSXFS)
		tc.edit(&c)
		if got := c.Discard(); got != tc.want {
			t.Errorf("%s: Discard() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestApplyRuntimeOpts(t *testing.T) {
	base := defaultConfig(FSXFS)
	got, err := applyRuntimeOpts(base, []string{"dm.min_free_space=0%", "dm.blkdiscard=false", "dm.basesize=10G", "dm.fs=xfs"}, nil)
	if err != nil || got.MinFreeSpacePercent != 0 || got.Discard() {
		t.Errorf("applyRuntimeOpts(runtime) = %+v, %v, want min free 0, no discard", got, err)
	}
	for _, opt := range []string{"dm.basesize=20G", "dm.fs=ext4", "dm.blocksize=128K", "dm.mkfsarg=-K", "dm.thinpooldev=x"} {
		if _, err := applyRuntimeOpts(base, []string{opt}, nil); err == nil || !strings.Contains(err.Error(), "cannot be changed") {
			t.Errorf("applyRuntimeOpts(%q) = %v, want a cannot-be-changed error", opt, err)
		}
	}
	if _, err := applyRuntimeOpts(base, []string{"dm.use_deferred_removal=false"}, nil); err == nil {
		t.Errorf("applyRuntimeOpts(removal off, deletion on) = nil, want a validation error")
	}
	if _, err := applyRuntimeOpts(base, []string{"junk"}, nil); err == nil || errors.Is(err, ErrPoolNotFound) {
		t.Errorf("applyRuntimeOpts(junk) = %v, want a syntax error", err)
	}
}

func TestMkfsCommands(t *testing.T) {
	got := mkfsCommands("ext4", "/dev/mapper/x", []string{"-m", "0"})
	want := [][]string{
		{"mkfs.ext4", "-E", "nodiscard,lazy_itable_init=0,lazy_journal_init=0", "-m", "0", "--", "/dev/mapper/x"},
		{"mkfs.ext4", "-E", "nodiscard,lazy_itable_init=0", "-m", "0", "--", "/dev/mapper/x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mkfsCommands(ext4) = %q, want %q", got, want)
	}
	if got := mkfsCommands("xfs", "/dev/mapper/x", nil); !reflect.DeepEqual(got, [][]string{{"mkfs.xfs", "--", "/dev/mapper/x"}}) {
		t.Errorf("mkfsCommands(xfs) = %q", got)
	}
}

func TestMountData(t *testing.T) {
	tests := []struct{ fs, pool, opts, want string }{
		{"xfs", "", "", "nouuid"},
		{"xfs", "noatime", "ro", "nouuid,noatime,ro"},
		{"ext4", "", "", ""},
		{"ext4", "discard", "", "discard"},
		{"ext4", "", "data=ordered", "data=ordered"},
	}
	for _, tc := range tests {
		if got := mountData(tc.fs, tc.pool, tc.opts); got != tc.want {
			t.Errorf("mountData(%q, %q, %q) = %q, want %q", tc.fs, tc.pool, tc.opts, got, tc.want)
		}
	}
}

func TestOutputSummary(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"\n  \n", ""},
		{"only\n", "only"},
		{"Filesystem must be larger than 300MB.\nUsage: mkfs.xfs\n<value> is xxx (512 byte blocks).\n",
			"Filesystem must be larger than 300MB. ... <value> is xxx (512 byte blocks)."},
		{"mke2fs 1.47.0 (5-Feb-2023)\n\nmkfs.ext4: Device size reported to be zero.\n",
			"mke2fs 1.47.0 (5-Feb-2023) ... mkfs.ext4: Device size reported to be zero."},
	}
	for _, tc := range tests {
		if got := outputSummary(tc.in); got != tc.want {
			t.Errorf("outputSummary(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDirectLVMOptions(t *testing.T) {
	c := defaultConfig(FSXFS)
	if err := c.ApplyStorageOpts([]string{"dm.directlvm_device=/dev/xvdf", "dm.thinp_percent=90%", "dm.thinp_metapercent=2",
		"dm.thinp_autoextend_threshold=70", "dm.thinp_autoextend_percent=25", "dm.directlvm_device_force=true"}); err != nil {
		t.Fatal(err)
	}
	want := DirectLVMConfig{Device: "/dev/xvdf", ThinpPercent: 90, ThinpMetaPercent: 2, AutoExtendThreshold: 70, AutoExtendPercent: 25}
	if c.DirectLVM == nil || *c.DirectLVM != want || !c.DirectLVMForce || c.Mode() != ModeAdopted {
		t.Errorf("direct-lvm options = %+v (force %v, mode %s), want %+v, forced, adopted", c.DirectLVM, c.DirectLVMForce, c.Mode(), want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	if got := adoptedName(c); got != "docker-thinpool" {
		t.Errorf("direct-lvm pool name = %q, want docker-thinpool", got)
	}
	for _, tc := range []struct {
		opts []string
		want string
	}{
		{[]string{"dm.thinp_percent=90"}, "must provide device path in `dm.directlvm_device`"},
		{[]string{"dm.directlvm_device=/dev/xvdf", "dm.thinp_percent=90"}, "must set both `dm.thinp_percent` and `dm.thinp_metapercent`"},
		{[]string{"dm.directlvm_device=/dev/xvdf", "dm.thinp_percent=90", "dm.thinp_metapercent=20"}, "must not be greater than 100"},
		{[]string{"dm.directlvm_device=/dev/xvdf", "dm.thinpooldev=x"}, "cannot setup direct-lvm when `dm.thinpooldev` is also specified"},
		{[]string{"dm.directlvm_device=xvdf"}, "want an absolute device path"},
	} {
		c := defaultConfig(FSXFS)
		err := c.ApplyStorageOpts(tc.opts)
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.opts, err, tc.want)
		}
	}
	// Defaults fill in; the same setup is recognised however it is spelled.
	a := DirectLVMConfig{Device: "/dev/xvdf"}
	b := DirectLVMConfig{Device: "/dev/xvdf", ThinpPercent: 95, ThinpMetaPercent: 1, AutoExtendPercent: 20, AutoExtendThreshold: 80}
	if !sameDirectLVM(&a, &b) || sameDirectLVM(&a, &DirectLVMConfig{Device: "/dev/xvdg"}) || sameDirectLVM(&a, nil) {
		t.Errorf("sameDirectLVM does not compare normalized settings")
	}
}

func TestHarmlessDockerOptions(t *testing.T) {
	c := defaultConfig(FSXFS)
	if err := c.ApplyStorageOpts([]string{"dm.no_warn_on_loop_devices=true", "dm.libdm_log_level=7", "dm.xfs_nospace_max_retries=0"}); err != nil {
		t.Fatalf("ApplyStorageOpts(harmless options) = %v", err)
	}
	if !c.NoWarnOnLoopDevices || c.LibdmLogLevel != 7 || c.XFSNospaceMaxRetries != "0" {
		t.Errorf("harmless options = %+v", c)
	}
	for _, bad := range []string{"dm.libdm_log_level=9", "dm.libdm_log_level=x", "dm.xfs_nospace_max_retries=-1", "dm.no_warn_on_loop_devices=maybe"} {
		c := defaultConfig(FSXFS)
		if err := c.ApplyStorageOpts([]string{bad}); err == nil {
			t.Errorf("ApplyStorageOpts(%q) = nil, want an error", bad)
		}
	}
	notes := StorageOptNotes([]string{"dm.basesize=1G", "DM.LIBDM_LOG_LEVEL=3"})
	if len(notes) != 1 || !strings.Contains(notes[0], "libdevmapper") {
		t.Errorf("StorageOptNotes = %q, want one note on libdevmapper", notes)
	}
	d := DockerInfo{DataLoopFile: "/x/data", NoWarnOnLoopDevices: true}
	if w := d.Warnings(); len(w) != 0 {
		t.Errorf("Warnings with dm.no_warn_on_loop_devices = %q, want none", w)
	}
}

func TestMountSetsXFSNospaceRetries(t *testing.T) {
	k := newFakeKernel(t)
	cfg := testConfig()
	cfg.Filesystem = FSXFS
	cfg.XFSNospaceMaxRetries = "0"
	p, err := Create(t.TempDir(), cfg, k.env(), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.CreateSnapshot("c", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Mount("c", t.TempDir(), "", false); err != nil {
		t.Fatalf("Mount = %v", err)
	}
	info, err := k.Info(p.Names().Device("c"))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.xfsRetries[info.Dev]; got != "0" {
		t.Errorf("xfs max_retries of the mounted device = %q, want 0", got)
	}
}
