package pool

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

// newLoopPool creates a loop pool with the test configuration.
func newLoopPool(t *testing.T) (*fakeKernel, string, *Pool) {
	t.Helper()
	k := newFakeKernel(t)
	root := t.TempDir()
	p, err := Create(root, testConfig(), k.env(), CreateOptions{})
	if err != nil {
		t.Fatalf("Create(%s) = %v", root, err)
	}
	t.Cleanup(func() { p.Close() })
	return k, root, p
}

// checkConsistent checks that the pool's thin ids are exactly those the
// device files name and that no transaction is pending.
func checkConsistent(t *testing.T, k *fakeKernel, p *Pool) {
	t.Helper()
	devs, err := p.Store().Devices()
	if err != nil {
		t.Fatalf("Devices() = %v", err)
	}
	var files []int
	for _, d := range devs {
		files = append(files, d.DeviceID)
	}
	var thins []int
	for id := range k.poolOf(p.Names().Pool).thins {
		thins = append(thins, id)
	}
	sort.Ints(files)
	sort.Ints(thins)
	if !reflect.DeepEqual(files, thins) {
		t.Errorf("thin ids in device files = %v, in the pool = %v", files, thins)
	}
	if _, ok, _ := p.Store().ReadTransaction(); ok {
		t.Errorf("transaction-metadata left behind")
	}
}

func TestCreateLoop(t *testing.T) {
	k, root, p := newLoopPool(t)
	for path, size := range map[string]int64{
		filepath.Join(root, "devicemapper", "data"):     64 << 20,
		filepath.Join(root, "devicemapper", "metadata"): 8 << 20,
	} {
		fi, err := os.Stat(path)
		if err != nil || fi.Size() != size {
			t.Errorf("stat %s = %v, %v, want size %d", path, fi, err, size)
		}
	}
	prefix, _ := RootPrefix(root, "docker")
	if p.Names().Pool != prefix+"-pool" || p.Mode() != ModeLoop {
		t.Errorf("pool name %q mode %s, want %s-pool loop", p.Names().Pool, p.Mode(), prefix)
	}
	_, targets, err := k.Table(p.Names().Pool, dmctl.StatusOptions{})
	if err != nil || len(targets) != 1 || targets[0].String() != "0 131072 thin-pool 7:1 7:0 128 32768 1 skip_block_zeroing" {
		t.Errorf("pool table = %v, %v", targets, err)
	}
	tp := k.poolOf(p.Names().Pool)
	if tp.txID != 1 || len(tp.thins) != 1 || tp.thins[1].typ != "ext4" {
		t.Errorf("pool state = %+v, want thin 1 with ext4 and transaction 1", tp)
	}
	if want := []string{"create_thin 1", "set_transaction_id 0 1"}; !reflect.DeepEqual(k.msgs, want) {
		t.Errorf("messages = %q, want %q", k.msgs, want)
	}
	base, err := p.Store().ReadDevice(BaseID)
	if err != nil || base.DeviceID != 1 || base.Size != 16<<20 || !base.Initialized || base.TransactionID != 1 {
		t.Errorf("base = %+v, %v", base, err)
	}
	ds, _, _ := p.Store().ReadDeviceSet()
	if ds.BaseDeviceFilesystem != "ext4" || ds.BaseDeviceUUID == "" || ds.NextDeviceID != 1 {
		t.Errorf("deviceset-metadata = %+v", ds)
	}
	rec, ok, err := p.Store().ReadPoolRecord()
	if !ok || err != nil || rec.Mode != ModeLoop || rec.Prefix != prefix || rec.Config.BlockSize != 64<<10 {
		t.Errorf("pool record = %+v, %v, %v", rec, ok, err)
	}
	if _, err := k.Info(p.Names().Device(BaseID)); !isNoDevice(err) {
		t.Errorf("base device left active: %v", err)
	}
	checkConsistent(t, k, p)

	// A second pool on the same root is refused.
	p.Close()
	if _, err := Create(root, testConfig(), k.env(), CreateOptions{}); !errors.Is(err, ErrPoolExists) {
		t.Errorf("second Create = %v, want ErrPoolExists", err)
	}
}

func TestCreateRefusesTakenName(t *testing.T) {
	k := newFakeKernel(t)
	root := t.TempDir()
	prefix, _ := RootPrefix(root, "docker")
	k.blockDevs["/x"] = dmctl.MakeDev(8, 0)
	k.devs[prefix+"-pool"] = &fakeDevice{name: prefix + "-pool", dev: dmctl.MakeDev(253, 99)}
	_, err := Create(root, testConfig(), k.env(), CreateOptions{})
	if !errors.Is(err, ErrPoolExists) {
		t.Errorf("Create with the pool name taken = %v, want ErrPoolExists", err)
	}
	if has, _ := NewStore(root).HasState(); has {
		t.Errorf("state left behind after a refused Create")
	}
}

func TestCreateUndoesOnFailure(t *testing.T) {
	k := newFakeKernel(t)
	k.failMkfs = errors.New("mkfs.ext4: no space")
	root := t.TempDir()
	_, err := Create(root, testConfig(), k.env(), CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Create with failing mkfs = %v, want the mkfs error", err)
	}
	if len(k.devs) != 0 || len(k.loops) != 0 {
		t.Errorf("devices %v loops %v left after a failed Create", k.devs, k.loops)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "metadata"))
	for _, e := range entries {
		if e.Name() != lockFileName {
			t.Errorf("file %s left after a failed Create", e.Name())
		}
	}
	if has, _ := NewStore(root).HasState(); has {
		t.Errorf("pool state left after a failed Create")
	}
	k.failMkfs = nil
	p, err := Create(root, testConfig(), k.env(), CreateOptions{})
	if err != nil {
		t.Fatalf("Create after the failure = %v", err)
	}
	p.Close()
}

func TestSnapshots(t *testing.T) {
	k, _, p := newLoopPool(t)
	img, err := p.CreateSnapshot("img", "", 0)
	if err != nil {
		t.Fatalf("CreateSnapshot(img) = %v", err)
	}
	if img.DeviceID != 2 || img.Size != 16<<20 || img.Origin != BaseID || img.TransactionID != 2 || img.CreatedAt.IsZero() {
		t.Errorf("CreateSnapshot(img) = %+v", img)
	}
	if _, err := p.CreateSnapshot("img", "", 0); !errors.Is(err, ErrDeviceExists) {
		t.Errorf("CreateSnapshot(img) again = %v, want ErrDeviceExists", err)
	}
	if _, err := p.CreateSnapshot("small", "img", 1<<20); err == nil {
		t.Errorf("CreateSnapshot smaller than origin = nil, want an error")
	}
	if _, err := p.CreateSnapshot("x", "nosuch", 0); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("CreateSnapshot from a missing origin = %v, want ErrDeviceNotFound", err)
	}
	if _, err := p.CreateSnapshot("bad/id", "", 0); err == nil {
		t.Errorf("CreateSnapshot(bad/id) = nil, want an error")
	}

	// An active origin is suspended around create_snap and resumed.
	if _, err := p.ActivateDevice("img"); err != nil {
		t.Fatalf("ActivateDevice(img) = %v", err)
	}
	k.ops = nil
	ctr, err := p.CreateSnapshot("ctr", "img", 32<<20)
	if err != nil || ctr.Size != 32<<20 || ctr.Origin != "img" {
		t.Fatalf("CreateSnapshot(ctr) = %+v, %v", ctr, err)
	}
	name := p.Names().Device("img")
	if want := []string{"suspend " + name, "resume " + name}; !reflect.DeepEqual(k.ops, want) {
		t.Errorf("origin operations = %q, want %q", k.ops, want)
	}
	// Resumed also when create_snap fails.
	k.ops = nil
	k.failMsg["create_snap"] = dmErr("message", p.Names().Pool, syscall.ENOSPC)
	if _, err := p.CreateSnapshot("fail", "img", 0); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("CreateSnapshot with create_snap failing = %v, want ENOSPC", err)
	}
	delete(k.failMsg, "create_snap")
	if want := []string{"suspend " + name, "resume " + name}; !reflect.DeepEqual(k.ops, want) {
		t.Errorf("origin operations on failure = %q, want %q", k.ops, want)
	}
	if _, err := p.Store().ReadDevice("fail"); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("failed snapshot recorded: %v", err)
	}
	checkConsistent(t, k, p)

	// The thin table.
	info, err := p.ActivateDevice("ctr")
	if err != nil {
		t.Fatal(err)
	}
	_, tt, _ := k.Table(p.Names().Device("ctr"), dmctl.StatusOptions{})
	pool, _ := k.Info(p.Names().Pool)
	if want := "0 65536 thin " + pool.Dev.String() + " 3"; tt[0].String() != want {
		t.Errorf("thin table = %q, want %q", tt[0].String(), want)
	}
	if again, err := p.ActivateDevice("ctr"); err != nil || again.Dev != info.Dev {
		t.Errorf("ActivateDevice of an active device = %+v, %v", again, err)
	}

	devs, err := p.ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range devs {
		got = append(got, d.ID+":"+map[bool]string{true: "active", false: "inactive"}[d.Active])
	}
	if want := []string{"base:inactive", "ctr:active", "img:active"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListDevices() = %q, want %q", got, want)
	}
	if !devs[1].MappedKnown || devs[1].Origin != "img" || devs[1].DeviceID != 3 {
		t.Errorf("ListDevices()[ctr] = %+v", devs[1])
	}

	// Removal: discard first, then the thin id.
	if _, err := p.RemoveSnapshot([]string{"img", "ctr"}, false); err != nil {
		t.Fatalf("RemoveSnapshot(img, ctr) = %v", err)
	}
	if len(k.discards) != 2 {
		t.Errorf("discards = %q, want one per device", k.discards)
	}
	checkConsistent(t, k, p)
	if len(k.poolOf(p.Names().Pool).thins) != 1 {
		t.Errorf("thins after removal = %v, want the base only", k.poolOf(p.Names().Pool).thins)
	}
	if _, err := p.RemoveSnapshot([]string{BaseID}, false); err == nil {
		t.Errorf("RemoveSnapshot(base) = nil, want a refusal")
	}
	if _, err := p.RemoveSnapshot([]string{"nosuch"}, false); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("RemoveSnapshot(nosuch) = %v, want ErrDeviceNotFound", err)
	}
}

func TestMinFreeSpace(t *testing.T) {
	k, _, p := newLoopPool(t)
	tp := k.poolOf(p.Names().Pool)
	tp.usedData = tp.totalData - tp.totalData/10 + 1
	_, err := p.CreateSnapshot("x", "", 0)
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(),
		"Thin Pool has 102 free data blocks which is less than minimum required 102 free data blocks") &&
		!strings.Contains(err.Error(), "which is less than minimum required") {
		t.Errorf("CreateSnapshot on a full pool = %v, want Docker's free space error", err)
	}
	if !strings.Contains(err.Error(), "Create more free space in thin pool or use dm.min_free_space option to change behavior") {
		t.Errorf("error %q lacks Docker's advice", err)
	}
	p.Close()
	q, err := Open(p.Root(), k.env(), OpenOptions{Write: true, StorageOpts: []string{"dm.min_free_space=0%"}})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.CreateSnapshot("x", "", 0); err != nil {
		t.Errorf("CreateSnapshot with dm.min_free_space=0%% = %v, want nil", err)
	}
	tp.mode = "ro"
	if _, err := q.CreateSnapshot("y", "", 0); err == nil || !errors.Is(err, ErrPoolMode) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("CreateSnapshot on a read-only pool = %v, want a mode error", err)
	}
}

func TestFreeSpaceError(t *testing.T) {
	tests := []struct {
		st   PoolStatus
		pct  uint64
		want string
	}{
		{PoolStatus{TotalDataBlocks: 1000, UsedDataBlocks: 900, TotalMetaBlocks: 100}, 10, ""},
		{PoolStatus{TotalDataBlocks: 1000, UsedDataBlocks: 901, TotalMetaBlocks: 100}, 10,
			"Thin Pool has 99 free data blocks which is less than minimum required 100 free data blocks. Create more free space in thin pool or use dm.min_free_space option to change behavior"},
		{PoolStatus{TotalDataBlocks: 1000, TotalMetaBlocks: 100, UsedMetaBlocks: 95}, 10,
			"Thin Pool has 5 free metadata blocks which is less than minimum required 10 free metadata blocks. Create more free metadata space in thin pool or use dm.min_free_space option to change behavior"},
		{PoolStatus{TotalDataBlocks: 5, UsedDataBlocks: 5, TotalMetaBlocks: 100}, 10,
			"Thin Pool has 0 free data blocks which is less than minimum required 1 free data blocks"},
		{PoolStatus{TotalDataBlocks: 5, UsedDataBlocks: 5}, 0, ""},
	}
	for _, tc := range tests {
		err := freeSpaceError(tc.st, tc.pct)
		if tc.want == "" {
			if err != nil {
				t.Errorf("freeSpaceError(%+v, %d) = %v, want nil", tc.st, tc.pct, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.Is(err, ErrNoSpace) {
			t.Errorf("freeSpaceError(%+v, %d) = %v, want %q", tc.st, tc.pct, err, tc.want)
		}
	}
}

func TestMountAndHolders(t *testing.T) {
	k, root, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("ctr", "", 0); err != nil {
		t.Fatal(err)
	}
	dir, err := p.Mount("ctr", "", "", false)
	if err != nil || dir != filepath.Join(root, "mnt", "ctr") {
		t.Fatalf("Mount(ctr) = %q, %v", dir, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("mount point %s not made: %v", dir, err)
	}
	// A second mount there is refused (EBUSY) with the reason, and the
	// device stays mounted and active.
	if _, err := p.Mount("ctr", "", "ro", true); !isBusy(err) || !strings.Contains(err.Error(), "already mounted on "+dir) {
		t.Errorf("Mount(ctr) again = %v, want EBUSY naming %s", err, dir)
	}
	if _, err := k.Info(p.Names().Device("ctr")); err != nil || k.mounts[dir] == 0 {
		t.Errorf("after a refused second mount: device %v, mounts %v; want it still active and mounted", err, k.mounts)
	}
	err = p.Deactivate(false)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "mounted on "+dir) {
		t.Errorf("Deactivate with a mounted device = %v, want ErrInUse naming %s", err, dir)
	}
	if _, err := p.RemoveSnapshot([]string{"ctr"}, false); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), dir) {
		t.Errorf("RemoveSnapshot of a mounted device = %v, want ErrInUse naming %s", err, dir)
	}
	if err := p.DeactivateDevice("ctr", false); !errors.Is(err, ErrInUse) {
		t.Errorf("DeactivateDevice of a mounted device = %v, want ErrInUse", err)
	}
	checkConsistent(t, k, p)
	if err := p.Umount("ctr"); err != nil {
		t.Fatalf("Umount(ctr) = %v", err)
	}
	if len(k.mounts) != 0 {
		t.Errorf("mounts after Umount = %v", k.mounts)
	}
	if _, err := k.Info(p.Names().Device("ctr")); !isNoDevice(err) {
		t.Errorf("device still active after Umount: %v", err)
	}
	if _, err := p.RemoveSnapshot([]string{"ctr"}, false); err != nil {
		t.Errorf("RemoveSnapshot after Umount = %v", err)
	}
	checkConsistent(t, k, p)
}

// TestListDevicesReadsMountsOnce: listing reads the mount table once for
// all the mounted devices, not once a device.
func TestListDevicesReadsMountsOnce(t *testing.T) {
	k, root, p := newLoopPool(t)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := p.CreateSnapshot(id, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"a", "c"} {
		if _, err := p.Mount(id, "", "", false); err != nil {
			t.Fatalf("Mount(%s) = %v", id, err)
		}
	}
	k.mountTableReads = 0
	devs, err := p.ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range devs {
		got[d.ID] = d.MountPoints
	}
	want := map[string][]string{BaseID: nil, "a": {filepath.Join(root, "mnt", "a")}, "b": nil, "c": {filepath.Join(root, "mnt", "c")}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListDevices() mount points = %q, want %q", got, want)
	}
	if k.mountTableReads != 1 {
		t.Errorf("ListDevices() read the mount table %d times, want once", k.mountTableReads)
	}
}

func TestDeferredRemoval(t *testing.T) {
	k, _, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("busy", "", 0); err != nil {
		t.Fatal(err)
	}
	info, err := p.ActivateDevice("busy")
	if err != nil {
		t.Fatal(err)
	}
	k.opens[info.Dev] = 1
	if _, err := p.RemoveSnapshot([]string{"busy"}, false); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "open by pid 4242 (cat)") {
		t.Errorf("RemoveSnapshot(busy) = %v, want ErrInUse naming the process", err)
	}
	done, err := p.RemoveSnapshot([]string{"busy"}, true)
	if err != nil || len(done) != 1 || !done[0].Deferred {
		t.Fatalf("RemoveSnapshot(busy, deferred) = %+v, %v, want deferred", done, err)
	}
	m, err := p.Store().ReadDevice("busy")
	if err != nil || !m.Deleted {
		t.Errorf("device after deferred removal = %+v, %v, want marked deleted", m, err)
	}
	if _, err := p.CreateSnapshot("x", "busy", 0); err == nil {
		t.Errorf("snapshot of a deleted device = nil error, want one")
	}
	checkConsistent(t, k, p)
	k.closeDevice(info.Dev)
	if err := p.Activate(); err != nil {
		t.Fatalf("Activate = %v", err)
	}
	if _, err := p.Store().ReadDevice("busy"); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("deleted device still recorded after Activate: %v", err)
	}
	checkConsistent(t, k, p)
}

func TestActivateAfterReboot(t *testing.T) {
	k, root, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("img", "", 0); err != nil {
		t.Fatal(err)
	}
	p.Close()
	k.reboot()
	q, err := Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("Open after reboot = %v", err)
	}
	defer q.Close()
	if active, _ := q.Active(); active {
		t.Errorf("pool active after reboot")
	}
	if _, err := q.CreateSnapshot("x", "", 0); !errors.Is(err, ErrPoolInactive) {
		t.Errorf("CreateSnapshot on an inactive pool = %v, want ErrPoolInactive", err)
	}
	devs, err := q.ListDevices()
	if err != nil || len(devs) != 2 {
		t.Errorf("ListDevices on an inactive pool = %v, %v", devs, err)
	}
	if err := q.Activate(); err != nil {
		t.Fatalf("Activate = %v", err)
	}
	if len(k.loops) != 2 {
		t.Errorf("loops after Activate = %d, want 2", len(k.loops))
	}
	if err := q.Activate(); err != nil {
		t.Errorf("Activate again = %v", err)
	}
	if len(k.loops) != 2 {
		t.Errorf("loops after a second Activate = %d, want 2 (found, not attached again)", len(k.loops))
	}
	if m, err := q.CreateSnapshot("ctr", "img", 0); err != nil || m.DeviceID != 3 {
		t.Errorf("CreateSnapshot after Activate = %+v, %v, want thin id 3", m, err)
	}
	checkConsistent(t, k, q)
}

func TestVerifyBase(t *testing.T) {
	k, _, p := newLoopPool(t)
	tp := k.poolOf(p.Names().Pool)
	fs := tp.thins[1]
	fs.uuid = "11111111-2222-3333-4444-555555555555"
	tp.thins[1] = fs
	err := p.Activate()
	if !errors.Is(err, ErrVerification) || !strings.HasPrefix(err.Error(), "Base Device UUID and Filesystem verification failed") {
		t.Errorf("Activate with a changed base UUID = %v, want Docker's verification error", err)
	}
	if _, err := k.Info(p.Names().Device(BaseID)); !isNoDevice(err) {
		t.Errorf("base left active after verification")
	}
	if err := checkBaseFS(DeviceSetMeta{BaseDeviceUUID: "u", BaseDeviceFilesystem: "xfs"}, FSInfo{Type: "ext4", UUID: "u"}); !errors.Is(err, ErrVerification) {
		t.Errorf("checkBaseFS(type differs) = %v, want ErrVerification", err)
	}
}

func TestDockerRoot(t *testing.T) {
	root := dockerFixture(t)
	k := newFakeKernel(t)
	// The pool's metadata as Docker left it: thin ids 1-4, transaction 4.
	metaFile := filepath.Join(root, "devicemapper", "metadata")
	k.pools[metaFile] = &fakeThinPool{
		thins: map[int]fakeFS{1: {"xfs", fixtureUUID}, 2: {"xfs", fixtureUUID}, 3: {"xfs", fixtureUUID}, 4: {"xfs", fixtureUUID}},
		txID:  4, blockSecs: 128, totalMeta: 524288, mode: "rw",
	}
	k.persist(metaFile, k.pools[metaFile])
	ro, err := Open(root, k.env(), OpenOptions{})
	if err != nil {
		t.Fatalf("Open(docker root) = %v", err)
	}
	prefix, _ := RootPrefix(root, "docker")
	if !ro.DockerRoot() || ro.Mode() != ModeLoop || ro.Names().Pool != prefix+"-pool" ||
		ro.Config().Filesystem != "xfs" || ro.Config().BaseSize != 10<<30 {
		t.Errorf("Open(docker root) = docker %v mode %s pool %s config %+v", ro.DockerRoot(), ro.Mode(), ro.Names().Pool, ro.Config())
	}
	if err := ro.Activate(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Activate on a read-only pool = %v, want ErrReadOnly", err)
	}
	ro.Close()
	sums, err := List(root, k.env(), OpenOptions{})
	if err != nil || len(sums) != 1 || sums[0].Devices != 4 || sums[0].Active {
		t.Errorf("List(docker root) = %+v, %v", sums, err)
	}

	p, err := Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Activate(); err != nil {
		t.Fatalf("Activate(docker root) = %v", err)
	}
	// The committed transaction's file is gone, the deferred deletion of
	// device 4 done, the base verified.
	if _, ok, _ := p.Store().ReadTransaction(); ok {
		t.Errorf("transaction-metadata left")
	}
	if _, err := p.Store().ReadDevice(fixtureGone); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("deleted device still there: %v", err)
	}
	m, err := p.CreateSnapshot("new", fixtureLayer, 0)
	if err != nil || m.DeviceID != 5 || m.Size != 10<<30 {
		t.Errorf("CreateSnapshot on a Docker root = %+v, %v, want thin id 5", m, err)
	}
	checkConsistent(t, k, p)
	if _, ok, _ := p.Store().ReadPoolRecord(); ok {
		t.Errorf("dmctl-pool.json written into a Docker root")
	}
	info, err := p.DockerInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.PoolName != prefix+"-pool" || info.BlockBytes != 65536 || info.BaseDeviceSize != 10<<30 ||
		info.BackingFilesystem != "xfs" || info.DataLoopFile != filepath.Join(root, "devicemapper", "data") ||
		info.DataFile == "" || info.TransactionID != 6 {
		t.Errorf("DockerInfo() = %+v", info)
	}
}

func TestOpenMissing(t *testing.T) {
	k := newFakeKernel(t)
	if _, err := Open(t.TempDir(), k.env(), OpenOptions{}); !errors.Is(err, ErrPoolNotFound) {
		t.Errorf("Open(empty root) = %v, want ErrPoolNotFound", err)
	}
	root := t.TempDir()
	NewStore(root).Init(true)
	if _, err := Open(root, k.env(), OpenOptions{}); !errors.Is(err, ErrPoolNotFound) {
		t.Errorf("Open(root without state) = %v, want ErrPoolNotFound", err)
	}
	if sums, err := List(root, k.env(), OpenOptions{}); err != nil || len(sums) != 0 {
		t.Errorf("List(root without state) = %v, %v, want none", sums, err)
	}
}

func TestLockedRoot(t *testing.T) {
	k, root, p := newLoopPool(t)
	_ = p
	if _, err := Open(root, k.env(), OpenOptions{Write: true}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open(write) while locked = %v, want ErrLocked", err)
	}
	// Readers wait for the writer: they never see a change half made.
	if _, err := Open(root, k.env(), OpenOptions{}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open(read) while locked = %v, want ErrLocked", err)
	}
	p.Close()
	ro, err := Open(root, k.env(), OpenOptions{})
	if err != nil {
		t.Fatalf("Open(read) = %v", err)
	}
	defer ro.Close()
	other, err := Open(root, k.env(), OpenOptions{})
	if err != nil {
		t.Fatalf("Open(read) while another reader has it = %v", err)
	}
	other.Close()
	if _, err := Open(root, k.env(), OpenOptions{Write: true}); !errors.Is(err, ErrLocked) {
		t.Errorf("Open(write) while a reader has it = %v, want ErrLocked", err)
	}
	for name, err := range map[string]error{
		"Deactivate": ro.Deactivate(false),
		"Destroy":    ro.Destroy(false),
		"Umount":     ro.Umount(BaseID),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only pool = %v, want ErrReadOnly", name, err)
		}
	}
	if _, err := ro.CreateSnapshot("x", "", 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("CreateSnapshot on a read-only pool = %v, want ErrReadOnly", err)
	}
}

func TestExtend(t *testing.T) {
	k, root, p := newLoopPool(t)
	res, err := p.Extend(ExtendOptions{DataSize: 128 << 20, MetadataSize: 16 << 20})
	if err != nil || res.DataSize != 128<<20 || res.MetadataSize != 16<<20 || !res.Reloaded {
		t.Fatalf("Extend = %+v, %v", res, err)
	}
	_, targets, _ := k.Table(p.Names().Pool, dmctl.StatusOptions{})
	if targets[0].Length != 262144 || k.poolOf(p.Names().Pool).totalData != 2048 {
		t.Errorf("pool after Extend: table %v, %d blocks", targets, k.poolOf(p.Names().Pool).totalData)
	}
	if want := []string{"suspend " + p.Names().Pool, "resume " + p.Names().Pool}; !reflect.DeepEqual(k.ops, want) {
		t.Errorf("Extend operations = %q, want %q", k.ops, want)
	}
	if _, err := p.Extend(ExtendOptions{DataSize: 64 << 20}); err == nil || !strings.Contains(err.Error(), "shrinking") {
		t.Errorf("Extend to a smaller size = %v, want a refusal", err)
	}
	if fi, _ := os.Stat(filepath.Join(root, "devicemapper", "data")); fi.Size() != 128<<20 {
		t.Errorf("data file size = %d after a refused shrink", fi.Size())
	}
	// An inactive pool only has its files grown.
	if err := p.Deactivate(false); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Extend(ExtendOptions{DataSize: 256 << 20}); err != nil || res.Reloaded || res.DataSize != 256<<20 {
		t.Errorf("Extend of an inactive pool = %+v, %v", res, err)
	}
	if err := p.Activate(); err != nil {
		t.Fatal(err)
	}
	if k.poolOf(p.Names().Pool).totalData != 4096 {
		t.Errorf("pool blocks after Activate = %d, want 4096", k.poolOf(p.Names().Pool).totalData)
	}
}

func TestDeactivateAndDestroy(t *testing.T) {
	k, root, p := newLoopPool(t)
	if _, err := p.CreateSnapshot("a", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ActivateDevice("a"); err != nil {
		t.Fatal(err)
	}
	if err := p.Deactivate(false); err != nil {
		t.Fatalf("Deactivate = %v", err)
	}
	if len(k.devs) != 0 || len(k.loops) != 0 {
		t.Errorf("after Deactivate: devices %v, loops %v", k.devs, k.loops)
	}
	if err := p.Activate(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Mount("a", "", "", false); err != nil {
		t.Fatal(err)
	}
	if err := p.Destroy(false); !errors.Is(err, ErrInUse) {
		t.Errorf("Destroy with a mounted device = %v, want ErrInUse", err)
	}
	if err := p.Destroy(true); err != nil {
		t.Fatalf("Destroy(force) = %v", err)
	}
	if len(k.devs) != 0 || len(k.loops) != 0 || len(k.mounts) != 0 {
		t.Errorf("after Destroy: devices %v, loops %v, mounts %v", k.devs, k.loops, k.mounts)
	}
	if has, _ := NewStore(root).HasState(); has {
		t.Errorf("state left after Destroy")
	}
	entries, _ := os.ReadDir(filepath.Join(root, "metadata"))
	if len(entries) != 1 || entries[0].Name() != lockFileName {
		t.Errorf("metadata after Destroy = %v, want only the lock file", entries)
	}
	p.Close()
	q, err := Create(root, testConfig(), k.env(), CreateOptions{})
	if err != nil {
		t.Fatalf("Create after Destroy = %v", err)
	}
	q.Close()
}

func TestDirectPool(t *testing.T) {
	k := newFakeKernel(t)
	dir := t.TempDir()
	data, meta := filepath.Join(dir, "sdb"), filepath.Join(dir, "sdc")
	os.WriteFile(data, nil, 0o600)
	os.Truncate(data, 64<<20)
	head := make([]byte, 8192)
	binary.LittleEndian.PutUint64(head[32:], 27022010)
	os.WriteFile(meta, head, 0o600)
	k.blockDevs[data], k.blockDevs[meta] = dmctl.MakeDev(8, 16), dmctl.MakeDev(8, 32)
	cfg := testConfig()
	cfg.DataDevice, cfg.MetadataDevice = data, meta
	root := t.TempDir()
	if _, err := Create(root, cfg, k.env(), CreateOptions{}); err == nil || !strings.Contains(err.Error(), "already holds thin-pool metadata") {
		t.Fatalf("Create on used metadata = %v, want a refusal", err)
	}
	if has, _ := NewStore(root).HasState(); has {
		t.Errorf("state left after a refused Create")
	}
	// Devices holding something else: refused, unless forced.
	os.WriteFile(meta, make([]byte, 8192), 0o600)
	k.sigs = map[string]Signature{data: {Kind: "filesystem", Type: "ext4"}}
	if _, err := Create(root, cfg, k.env(), CreateOptions{}); err == nil || !strings.Contains(err.Error(), "data device "+data+" holds an ext4 filesystem") {
		t.Fatalf("Create on a data device with a filesystem = %v, want a refusal", err)
	}
	k.sigs = map[string]Signature{meta: {Kind: "partition table", Type: "gpt"}}
	if _, err := Create(root, cfg, k.env(), CreateOptions{}); err == nil || !strings.Contains(err.Error(), "metadata device "+meta+" holds a gpt partition table") {
		t.Fatalf("Create on a metadata device with a partition table = %v, want a refusal", err)
	}
	if has, _ := NewStore(root).HasState(); has || len(k.devs) != 0 {
		t.Errorf("state or devices left after a refused Create: %v", k.devs)
	}
	p, err := Create(root, cfg, k.env(), CreateOptions{Force: true})
	if err != nil {
		t.Fatalf("Create(direct, force) = %v", err)
	}
	defer p.Close()
	if b, _ := readMetadataHeader(meta); !validSuperblock(b) {
		t.Errorf("metadata superblock not zeroed and formatted afresh")
	}
	_, targets, _ := k.Table(p.Names().Pool, dmctl.StatusOptions{})
	if targets[0].String() != "0 131072 thin-pool 8:32 8:16 128 32768 1 skip_block_zeroing" {
		t.Errorf("direct pool table = %q", targets[0].String())
	}
	if p.Config().Discard() {
		t.Errorf("direct pool discards by default")
	}
	if _, err := p.Extend(ExtendOptions{DataSize: 1 << 30}); err == nil {
		t.Errorf("Extend(direct, size) = nil, want a refusal")
	}
	if _, err := p.Extend(ExtendOptions{}); err != nil {
		t.Errorf("Extend(direct) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "devicemapper")); err == nil {
		t.Errorf("direct pool made a devicemapper directory")
	}
	if err := p.Destroy(false); err != nil {
		t.Fatalf("Destroy(direct) = %v", err)
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("Destroy removed the data device: %v", err)
	}
}

func TestAdoptedPool(t *testing.T) {
	k := newFakeKernel(t)
	k.blockDevs["/dev/vdb"], k.blockDevs["/dev/vdc"] = dmctl.MakeDev(252, 16), dmctl.MakeDev(252, 32)
	ext := poolTarget(1<<21, dmctl.MakeDev(252, 32), dmctl.MakeDev(252, 16), 1024, 100)
	if _, err := k.CreateDevice("docker-thinpool", "", []dmctl.Target{ext}, false); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.ThinPoolDevice = "docker-thinpool"

	k.poolOf("docker-thinpool").usedData = 1
	if _, err := Create(t.TempDir(), cfg, k.env(), CreateOptions{}); err == nil ||
		!strings.Contains(err.Error(), "Unable to take ownership of thin-pool (docker-thinpool) that already has used data blocks") {
		t.Errorf("Create adopting a used pool = %v, want Docker's refusal", err)
	}
	k.poolOf("docker-thinpool").usedData = 0
	k.poolOf("docker-thinpool").txID = 3
	if _, err := Create(t.TempDir(), cfg, k.env(), CreateOptions{}); err == nil ||
		!strings.Contains(err.Error(), "with non-zero transaction ID") {
		t.Errorf("Create adopting a pool with a transaction id = %v, want Docker's refusal", err)
	}
	k.poolOf("docker-thinpool").txID = 0

	root := t.TempDir()
	p, err := Create(root, cfg, k.env(), CreateOptions{})
	if err != nil {
		t.Fatalf("Create(adopted) = %v", err)
	}
	defer p.Close()
	if p.Names().Pool != "docker-thinpool" || p.Config().BlockSize != 512<<10 || p.Mode() != ModeAdopted {
		t.Errorf("adopted pool: names %+v, block size %d, mode %s", p.Names(), p.Config().BlockSize, p.Mode())
	}
	if _, err := p.CreateSnapshot("a", "", 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Deactivate(false); err != nil {
		t.Fatalf("Deactivate(adopted) = %v", err)
	}
	if _, err := k.Info("docker-thinpool"); err != nil {
		t.Errorf("Deactivate removed an adopted pool: %v", err)
	}
	if err := p.Destroy(false); err != nil {
		t.Fatalf("Destroy(adopted) = %v", err)
	}
	if tp := k.poolOf("docker-thinpool"); len(tp.thins) != 0 {
		t.Errorf("thin ids left in the adopted pool: %v", tp.thins)
	}
}

func TestStorageOptsOnExistingPool(t *testing.T) {
	k, root, p := newLoopPool(t)
	p.Close()
	if _, err := Open(root, k.env(), OpenOptions{StorageOpts: []string{"dm.blocksize=128K"}}); err == nil {
		t.Errorf("Open with a different block size = nil, want a refusal")
	}
	q, err := Open(root, k.env(), OpenOptions{StorageOpts: []string{"dm.blocksize=64K", "dm.mountopt=noatime"}})
	if err != nil || q.Config().MountOptions != "noatime" {
		t.Errorf("Open with runtime options = %v, %v", q, err)
	}
}
