package pool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

func TestSplitLVMName(t *testing.T) {
	tests := []struct {
		name      string
		vol       LVMVolume
		layer     string
		ok        bool
		roundTrip bool
	}{
		{"docker-thinpool", LVMVolume{"docker", "thinpool"}, "", true, true},
		{"docker-thinpool-tpool", LVMVolume{"docker", "thinpool"}, "tpool", true, false},
		{"my--vg-thin--pool", LVMVolume{"my-vg", "thin-pool"}, "", true, true},
		{"vg-lv--x-tdata", LVMVolume{"vg", "lv-x"}, "tdata", true, false},
		{"plain", LVMVolume{}, "", false, false},
		{"-lv", LVMVolume{}, "", false, false},
		{"vg-", LVMVolume{}, "", false, false},
		{"a-b-c-d", LVMVolume{}, "", false, false},
	}
	for _, tc := range tests {
		vol, layer, ok := SplitLVMName(tc.name)
		if vol != tc.vol || layer != tc.layer || ok != tc.ok {
			t.Errorf("SplitLVMName(%q) = %v, %q, %v, want %v, %q, %v", tc.name, vol, layer, ok, tc.vol, tc.layer, tc.ok)
		}
		if tc.roundTrip {
			if got := LVMDeviceName(vol); got != tc.name {
				t.Errorf("LVMDeviceName(%v) = %q, want %q", vol, got, tc.name)
			}
		}
	}
}

// lvmPool makes an LVM-style thin pool in the fake kernel: LVM's uuid,
// 512 KiB blocks and low water mark 0, as lvconvert leaves it.
func lvmPool(t *testing.T, k *fakeKernel) string {
	t.Helper()
	k.blockDevs["/dev/vdb"], k.blockDevs["/dev/vdc"] = dmctl.MakeDev(252, 16), dmctl.MakeDev(252, 32)
	tbl := poolTarget(1<<21, dmctl.MakeDev(252, 32), dmctl.MakeDev(252, 16), 1024, 0)
	if _, err := k.CreateDevice("docker-thinpool", "LVM-abcdefabcdef-tpool", []dmctl.Target{tbl}, false); err != nil {
		t.Fatal(err)
	}
	return "docker-thinpool"
}

func TestResolveThinPoolDevice(t *testing.T) {
	k := newFakeKernel(t)
	name := lvmPool(t, k)
	dev := k.devs[name].dev
	k.blockDevs["/dev/docker/thinpool"] = dev
	k.blockDevs["/dev/dm-7"] = dev
	k.blockDevs["/dev/sdz"] = dmctl.MakeDev(8, 400)
	tests := []struct {
		spec, want string
		wantErr    bool
	}{
		{"docker-thinpool", "docker-thinpool", false},
		{"/dev/mapper/docker-thinpool", "docker-thinpool", false},
		{"/dev/docker/thinpool", "docker-thinpool", false},
		{"/dev/dm-7", "docker-thinpool", false},
		{"/dev/my-vg/thin-pool", "my--vg-thin--pool", false}, // not active: LVM's name
		{"/dev/sdz", "", true},                               // not a dm device
		{"relative/path", "", true},
		{"/dev/no-such-node", "", true},
	}
	for _, tc := range tests {
		got, err := ResolveThinPoolDevice(k.env(), tc.spec)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ResolveThinPoolDevice(%q) = %q, %v, want %q (error: %v)", tc.spec, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestAdoptLVMPool adopts a pool as LVM makes it (low water mark 0) and
// checks that the root keeps working for every later command, and that
// destroy gives the pool back with its transaction id.
func TestAdoptLVMPool(t *testing.T) {
	k := newFakeKernel(t)
	name := lvmPool(t, k)
	k.blockDevs["/dev/docker/thinpool"] = k.devs[name].dev
	tableBefore := k.devs[name].live[0].String()
	cfg := testConfig()
	cfg.ThinPoolDevice = "/dev/docker/thinpool"
	root := t.TempDir()
	p, err := Create(root, cfg, k.env(), CreateOptions{})
	if err != nil {
		t.Fatalf("Create(adopt LVM pool) = %v", err)
	}
	if p.Names().Pool != name || p.Record().LVM == nil || p.Record().LVM.String() != "docker/thinpool" {
		t.Errorf("adopted pool = %q, LVM volume %v; want %s and docker/thinpool", p.Names().Pool, p.Record().LVM, name)
	}
	p.Close()
	for i, opts := range [][]string{nil, {"dm.thinpooldev=docker-thinpool"}, {"dm.thinpooldev=/dev/docker/thinpool"}} {
		q, err := Open(root, k.env(), OpenOptions{Write: true, StorageOpts: opts})
		if err != nil {
			t.Fatalf("Open(adopted LVM pool, %v) = %v", opts, err)
		}
		if _, err := q.CreateSnapshot("s"+string(rune('0'+i)), "", 0); err != nil {
			t.Errorf("CreateSnapshot on the adopted pool = %v", err)
		}
		if _, err := q.DockerInfo(); err != nil {
			t.Errorf("DockerInfo on the adopted pool = %v", err)
		}
		q.Close()
	}
	if _, err := Open(root, k.env(), OpenOptions{StorageOpts: []string{"dm.thinpooldev=other-pool"}}); err == nil {
		t.Errorf("Open with a different dm.thinpooldev = nil, want a refusal")
	}
	q, err := Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Extend(ExtendOptions{DataSize: 1 << 40}); err == nil {
		t.Errorf("Extend of an adopted pool with a loop size = nil, want a refusal")
	}
	if err := q.Destroy(false); err != nil {
		t.Fatalf("Destroy = %v", err)
	}
	tp := k.poolOf(name)
	if len(tp.thins) != 0 || tp.txID != 0 {
		t.Errorf("after Destroy the pool has thins %v and transaction id %d, want none and 0", tp.thins, tp.txID)
	}
	if got := k.devs[name].live[0].String(); got != tableBefore {
		t.Errorf("the adopted pool's table changed: %q, was %q", got, tableBefore)
	}
}

// TestAdoptFailsPartWay makes mkfs fail after the base device was made:
// the pool must get its thin id and transaction id back and the root
// must be left as it was found.
func TestAdoptFailsPartWay(t *testing.T) {
	k := newFakeKernel(t)
	name := lvmPool(t, k)
	cfg := testConfig()
	cfg.ThinPoolDevice = name
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	k.failMkfs = errors.New("mkfs refused")
	if _, err := Create(root, cfg, k.env(), CreateOptions{}); err == nil {
		t.Fatalf("Create with a failing mkfs = nil")
	}
	tp := k.poolOf(name)
	if len(tp.thins) != 0 || tp.txID != 0 {
		t.Errorf("after the failed adoption the pool has thins %v and transaction id %d, want none and 0", tp.thins, tp.txID)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(root)
		t.Errorf("after the failed adoption stat(root) = %v (holding %v), want it gone as it was", err, entries)
	}
	k.failMkfs = nil
	p, err := Create(root, cfg, k.env(), CreateOptions{})
	if err != nil {
		t.Fatalf("Create again = %v", err)
	}
	p.Close()
}

func TestCreateFailureLeavesRoot(t *testing.T) {
	k := newFakeKernel(t)
	root := t.TempDir()
	k.failMkfs = errors.New("mkfs refused")
	if _, err := Create(root, testConfig(), k.env(), CreateOptions{}); err == nil {
		t.Fatalf("Create with a failing mkfs = nil")
	}
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 0 {
		t.Errorf("after a failed create the root holds %v (%v), want it empty", entries, err)
	}
}

// fakeLVM answers lvs for one thin pool volume and records lvextend.
type fakeLVM struct {
	data, meta, free uint64
	cmds             []string
	fail             error
}

func (l *fakeLVM) ProfileDir() string { return "" }

func (l *fakeLVM) Available(...string) error { return nil }

func (l *fakeLVM) Run(command string, args ...string) (string, error) {
	l.cmds = append(l.cmds, command+" "+strings.Join(args, " "))
	if l.fail != nil {
		return "", l.fail
	}
	switch command {
	case "lvs":
		return fmt.Sprintf("  docker,thinpool,thin-pool,%d,%d,%d,4194304,%d,,/dev/mapper/docker-thinpool\n",
			l.data, l.meta, l.free, l.data+l.meta+l.free), nil
	case "lvextend":
		size, _ := strconv.ParseUint(strings.TrimSuffix(args[1], "b"), 10, 64)
		cur := &l.data
		if args[0] != "--size" {
			cur = &l.meta
		}
		if size <= *cur {
			return "", errors.New("New size given is not larger than existing size")
		}
		if size-*cur > l.free {
			return "", errors.New("Insufficient free space")
		}
		l.free -= size - *cur
		*cur = size
		return "", nil
	}
	return "", fmt.Errorf("fake LVM: unexpected %s", command)
}

func TestExtendLVMPool(t *testing.T) {
	k := newFakeKernel(t)
	name := lvmPool(t, k)
	lvm := &fakeLVM{data: 1 << 30, meta: 8 << 20, free: 4 << 30}
	env := k.env()
	env.LVM = lvm
	cfg := testConfig()
	cfg.ThinPoolDevice = name
	p, err := Create(t.TempDir(), cfg, env, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tableBefore := k.devs[name].live[0].String()
	res, err := p.Extend(ExtendOptions{DataSize: 2 << 30, MetadataSize: 16 << 20})
	if err != nil {
		t.Fatalf("Extend(LVM pool) = %v", err)
	}
	if res.DataSize != 2<<30 || res.MetadataSize != 16<<20 {
		t.Errorf("Extend(LVM pool) = %+v, want 2 GiB of data and 16 MiB of metadata", res)
	}
	want := []string{"lvextend --size 2147483648b -- docker/thinpool", "lvextend --poolmetadatasize 16777216b -- docker/thinpool"}
	var got []string
	for _, c := range lvm.cmds {
		if strings.HasPrefix(c, "lvextend") {
			got = append(got, c)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("LVM commands = %q, want %q", got, want)
	}
	if k.devs[name].live[0].String() != tableBefore {
		t.Errorf("dmctl loaded a table into LVM's pool")
	}
	if _, err := p.Extend(ExtendOptions{DataSize: 1 << 20}); err == nil {
		t.Errorf("Extend(LVM pool, smaller) = nil, want a refusal")
	}
}
