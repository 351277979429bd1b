//go:build linux

package dmctl_test

// Kernel tests of thin-pool and thin devices on loop devices over sparse
// files: pool messages and their errnos, snapshots, discards and FITRIM on
// ext4. Run by hand with
//
//	CGO_ENABLED=0 go test -count=1 -exec $PWD/scripts/vmexec -v -run TestKernelThin ./dmctl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/dmctl/dmtest"
)

// thinPool is a pool on two loop devices.
type thinPool struct {
	name       string
	info       dmctl.DeviceInfo
	meta, data dmctl.LoopDevice
	sectors    uint64 // data size
}

// poolBlockSectors is the pools' data block size: 64 KiB, Docker's.
const poolBlockSectors = 128

// newThinPool makes a pool of dataSize bytes on a 16 MiB metadata loop
// and a data loop, with the given feature arguments ("0" for none).
func newThinPool(t testing.TB, c *dmctl.Control, name string, dataSize int64, features string) thinPool {
	t.Helper()
	meta := dmtest.LoopFile(t, 16<<20)
	data := dmtest.LoopFile(t, dataSize)
	sectors := uint64(dataSize / 512)
	params := fmt.Sprintf("%s %s %d 32768 %s", meta.Dev, data.Dev, poolBlockSectors, features)
	info := mustCreate(t, c, name, "", []dmctl.Target{{Start: 0, Length: sectors, Type: "thin-pool", Params: params}}, false)
	return thinPool{name: name, info: info, meta: meta, data: data, sectors: sectors}
}

// newThin creates thin device id in the pool and activates it as name.
func (p thinPool) newThin(t testing.TB, c *dmctl.Control, name string, id int, sectors uint64) dmctl.DeviceInfo {
	t.Helper()
	if out := mustMessage(t, c, p.name, fmt.Sprintf("create_thin %d", id)); out != "" {
		t.Errorf("Message(create_thin %d) = %q, want no output", id, out)
	}
	return mustCreate(t, c, name, "", thinTable(p, id, sectors), false)
}

func thinTable(p thinPool, id int, sectors uint64) []dmctl.Target {
	return []dmctl.Target{{Start: 0, Length: sectors, Type: "thin", Params: fmt.Sprintf("%s %d", p.info.Dev, id)}}
}

// poolStatus is a parsed thin-pool status line.
type poolStatus struct {
	transaction          uint64
	metaUsed, metaTotal  uint64
	dataUsed, dataTotal  uint64
	heldRoot, mode, rest string
}

func parsePoolStatus(t testing.TB, s string) poolStatus {
	t.Helper()
	f := strings.Fields(s)
	if len(f) < 5 {
		t.Fatalf("pool status %q: too few fields", s)
	}
	var ps poolStatus
	var err error
	if ps.transaction, err = strconv.ParseUint(f[0], 10, 64); err != nil {
		t.Fatalf("pool status %q: transaction: %v", s, err)
	}
	if _, err := fmt.Sscanf(f[1]+" "+f[2], "%d/%d %d/%d", &ps.metaUsed, &ps.metaTotal, &ps.dataUsed, &ps.dataTotal); err != nil {
		t.Fatalf("pool status %q: usage: %v", s, err)
	}
	ps.heldRoot, ps.mode, ps.rest = f[3], f[4], strings.Join(f[5:], " ")
	return ps
}

func (p thinPool) status(t testing.TB, c *dmctl.Control) poolStatus {
	t.Helper()
	_, st, err := c.Status(p.name, dmctl.StatusOptions{})
	if err != nil || len(st) != 1 || st[0].Type != "thin-pool" {
		t.Fatalf("Status(%s) = %v, %v", p.name, st, err)
	}
	return parsePoolStatus(t, st[0].Params)
}

// thinMapped returns the mapped sectors of a thin device (status
// "<mapped sectors> <highest mapped sector or ->").
func thinMapped(t testing.TB, c *dmctl.Control, name string) uint64 {
	t.Helper()
	_, st, err := c.Status(name, dmctl.StatusOptions{})
	if err != nil || len(st) != 1 || st[0].Type != "thin" {
		t.Fatalf("Status(%s) = %v, %v", name, st, err)
	}
	f := strings.Fields(st[0].Params)
	n, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		t.Fatalf("thin status %q: %v", st[0].Params, err)
	}
	return n
}

// writeAt writes n bytes of pattern at off of the device and flushes them.
func writeAt(t testing.TB, path string, off int64, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xa5}, n), off); err != nil {
		t.Fatalf("write %s at %d: %v", path, off, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync %s: %v", path, err)
	}
}

// TestKernelThinPool builds a pool and thin devices and checks every
// pool message, its output and its errno, against dmsetup's view.
func TestKernelThinPool(t *testing.T) {
	c := dmtest.Require(t, "thin-pool", "thin", "linear")
	p := dmtest.Name(t)
	pool := newThinPool(t, c, p+"-pool", 1<<30, "1 skip_block_zeroing")

	checkDmsetup(t, c, pool.name, true)
	_, table, err := c.Table(pool.name, dmctl.StatusOptions{})
	wantParams := fmt.Sprintf("%s %s %d 32768 1 skip_block_zeroing", pool.meta.Dev, pool.data.Dev, poolBlockSectors)
	if err != nil || len(table) != 1 || strings.TrimRight(table[0].Params, " ") != wantParams {
		t.Errorf("Table(%s) = %v, %v; want params %q", pool.name, table, err, wantParams)
	}
	_, deps, err := c.Deps(pool.name)
	if err != nil || len(deps) != 2 || !(deps[0] == pool.meta.Dev && deps[1] == pool.data.Dev || deps[1] == pool.meta.Dev && deps[0] == pool.data.Dev) {
		t.Errorf("Deps(%s) = %v, %v; want %v and %v", pool.name, deps, err, pool.meta.Dev, pool.data.Dev)
	}
	st := pool.status(t, c)
	if st.transaction != 0 || st.dataUsed != 0 || st.dataTotal != pool.sectors/poolBlockSectors || st.heldRoot != "-" || st.mode != "rw" {
		t.Errorf("pool status = %+v, want transaction 0, 0/%d data, no held root, rw", st, pool.sectors/poolBlockSectors)
	}
	// NoFlush status reads the same when idle.
	if _, s2, err := c.Status(pool.name, dmctl.StatusOptions{NoFlush: true}); err != nil || parsePoolStatus(t, s2[0].Params) != st {
		t.Errorf("Status(%s, noflush) = %v, %v; want %+v", pool.name, s2, err, st)
	}

	thin := p + "-thin1"
	info := pool.newThin(t, c, thin, 1, 1<<21)
	checkDmsetup(t, c, thin, true)
	_, tdeps, err := c.Deps(thin)
	if err != nil || len(tdeps) != 1 || tdeps[0] != pool.info.Dev {
		t.Errorf("Deps(%s) = %v, %v; want [%v]", thin, tdeps, err, pool.info.Dev)
	}
	if m := thinMapped(t, c, thin); m != 0 {
		t.Errorf("thin mapped sectors = %d, want 0", m)
	}
	if info.OpenCount != 0 || mustInfo(t, c, pool.name).OpenCount != 1 {
		t.Errorf("open counts: thin %d, pool %d; want 0 and 1", info.OpenCount, mustInfo(t, c, pool.name).OpenCount)
	}

	// Errnos of pool messages.
	_, err = c.Message(pool.name, 0, "create_thin 1")
	wantErrno(t, "Message(create_thin of an existing id)", err, unix.EEXIST)
	logKernelReason(t, err)
	_, err = c.Message(pool.name, 0, "delete 99")
	wantErrno(t, "Message(delete of an unknown id)", err, unix.ENODATA)
	_, err = c.Message(pool.name, 0, "delete 1")
	wantErrno(t, "Message(delete of an active thin)", err, unix.EBUSY)
	_, err = c.Message(pool.name, 0, "create_snap 2 99")
	wantErrno(t, "Message(create_snap of an unknown origin)", err, unix.ENODATA)
	_, err = c.Message(pool.name, 0, "no_such_message")
	wantErrno(t, "Message(unknown message)", err, unix.EINVAL)
	logKernelReason(t, err)
	_, err = c.Message(pool.name, pool.sectors, "create_thin 5")
	wantErrno(t, "Message(to a sector beyond the pool)", err, unix.EINVAL)
	logKernelReason(t, err)

	// Write, snapshot (origin suspended around it), both readable.
	writeAt(t, dmctl.NodePath(thin), 0, 1<<20)
	if m := thinMapped(t, c, thin); m != 2048 {
		t.Errorf("thin mapped sectors after 1 MiB = %d, want 2048", m)
	}
	if _, err := c.Suspend(thin, dmctl.SuspendOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := mustMessage(t, c, pool.name, "create_snap 2 1"); out != "" {
		t.Errorf("Message(create_snap 2 1) = %q, want no output", out)
	}
	if _, err := c.Resume(thin); err != nil {
		t.Fatal(err)
	}
	snap := p + "-snap2"
	mustCreate(t, c, snap, "", thinTable(pool, 2, 1<<21), false)
	if m := thinMapped(t, c, snap); m != 2048 {
		t.Errorf("snapshot mapped sectors = %d, want 2048", m)
	}
	checkDmsetup(t, c, snap, true)

	// A linear device stacked on the thin device.
	stacked := p + "-stacked"
	mustCreate(t, c, stacked, "", []dmctl.Target{{0, 1024, "linear", info.Dev.String() + " 0"}}, false)
	checkDmsetup(t, c, stacked, true)
	if got := mustInfo(t, c, thin).OpenCount; got != 1 {
		t.Errorf("Info(%s).OpenCount = %d with a linear device on it, want 1", thin, got)
	}

	// Metadata snapshot: no output, then the held root shows in status.
	if out := mustMessage(t, c, pool.name, "reserve_metadata_snap"); out != "" {
		t.Errorf("Message(reserve_metadata_snap) = %q, want no output", out)
	}
	if st := pool.status(t, c); st.heldRoot == "-" {
		t.Errorf("pool status after reserve_metadata_snap = %+v, want a held root", st)
	}
	_, err = c.Message(pool.name, 0, "reserve_metadata_snap")
	wantErrno(t, "Message(reserve_metadata_snap twice)", err, unix.EBUSY)
	mustMessage(t, c, pool.name, "release_metadata_snap")
	if st := pool.status(t, c); st.heldRoot != "-" {
		t.Errorf("pool status after release_metadata_snap = %+v, want no held root", st)
	}

	// Transaction ids: compare and swap.
	mustMessage(t, c, pool.name, "set_transaction_id 0 1")
	if st := pool.status(t, c); st.transaction != 1 {
		t.Errorf("pool transaction = %d, want 1", st.transaction)
	}
	_, err = c.Message(pool.name, 0, "set_transaction_id 0 2")
	wantErrno(t, "Message(set_transaction_id with a wrong current id)", err, unix.EINVAL)
	logKernelReason(t, err)

	// Tear down in order; delete works once the thin devices are gone.
	for _, name := range []string{stacked, snap, thin} {
		if _, err := c.Remove(name, dmctl.RemoveOptions{}); err != nil {
			t.Fatalf("Remove(%s) = %v", name, err)
		}
		checkGone(t, c, name)
	}
	mustMessage(t, c, pool.name, "delete 2")
	mustMessage(t, c, pool.name, "delete 1")
	_, err = c.Remove(pool.name, dmctl.RemoveOptions{})
	if err != nil {
		t.Fatalf("Remove(%s) = %v", pool.name, err)
	}
	checkGone(t, c, pool.name)
}

// logKernelReason logs the kernel's reason carried by err, if any.
func logKernelReason(t testing.TB, err error) {
	t.Helper()
	var e *dmctl.Error
	if errors.As(err, &e) {
		t.Logf("%v (Kernel %q)", err, e.Kernel)
	}
}

// TestKernelThinDiscard discards a range of a thin device: the pool
// unmaps its blocks and passes the discard down to the loop file, which
// punches the hole.
func TestKernelThinDiscard(t *testing.T) {
	c := dmtest.Require(t, "thin-pool", "thin")
	p := dmtest.Name(t)
	pool := newThinPool(t, c, p+"-pool", 256<<20, "0")
	thin := p + "-thin"
	pool.newThin(t, c, thin, 1, 1<<19)
	writeAt(t, dmctl.NodePath(thin), 0, 4<<20)
	if m := thinMapped(t, c, thin); m != 8192 {
		t.Fatalf("mapped sectors after writing 4 MiB = %d, want 8192", m)
	}
	allocBefore, err := dmctl.AllocatedBytes(pool.data.BackingFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := dmctl.Discard(dmctl.NodePath(thin), 1<<20, 2<<20); err != nil {
		t.Fatalf("Discard(%s, 1 MiB, 2 MiB) = %v", thin, err)
	}
	if m := thinMapped(t, c, thin); m != 4096 {
		t.Errorf("mapped sectors after discarding 2 MiB = %d, want 4096", m)
	}
	allocAfter, err := dmctl.AllocatedBytes(pool.data.BackingFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data file allocation: %d -> %d bytes", allocBefore, allocAfter)
	if allocBefore-allocAfter < 2<<20 {
		t.Errorf("AllocatedBytes(data file) = %d -> %d, want 2 MiB less (discard passed down)", allocBefore, allocAfter)
	}
	if st := pool.status(t, c); st.dataUsed != 2*(1<<20)/(poolBlockSectors*512) {
		t.Errorf("pool data used = %d blocks, want %d", st.dataUsed, 2*(1<<20)/(poolBlockSectors*512))
	}
	// Discard past the end of the device fails.
	err = dmctl.Discard(dmctl.NodePath(thin), 1<<40, 1<<20)
	wantErrno(t, "Discard(beyond the end)", err, unix.EINVAL)
}

// TestKernelThinFITrim makes ext4 on a thin device, mounts it, writes and
// deletes a file, and checks that FITrim gives the blocks back to the pool.
func TestKernelThinFITrim(t *testing.T) {
	c := dmtest.Require(t, "thin-pool", "thin")
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		if dmtest.Required() {
			t.Fatalf("mkfs.ext4: %v", err)
		}
		t.Skipf("mkfs.ext4: %v", err)
	}
	p := dmtest.Name(t)
	pool := newThinPool(t, c, p+"-pool", 512<<20, "0")
	thin := p + "-thin"
	pool.newThin(t, c, thin, 1, 256<<11) // 256 MiB
	if out, err := exec.Command(mkfs, "-q", "-F", "-E", "nodiscard,lazy_itable_init=0,lazy_journal_init=0", dmctl.NodePath(thin)).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if err := dmctl.Mount(dmctl.NodePath(thin), dir, "ext4", "", false); err != nil {
		t.Fatalf("Mount(%s) = %v", thin, err)
	}
	mounted := true
	t.Cleanup(func() {
		if mounted {
			dmctl.Unmount(dir, true)
		}
	})
	if info := mustInfo(t, c, thin); info.OpenCount != 1 {
		t.Errorf("Info(%s).OpenCount = %d while mounted, want 1", thin, info.OpenCount)
	}
	_, err = c.Remove(thin, dmctl.RemoveOptions{})
	wantErrno(t, "Remove(mounted thin)", err, unix.EBUSY)

	file := dir + "/data"
	if err := os.WriteFile(file, bytes.Repeat([]byte{1}, 32<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	dmctl.Sync()
	full := thinMapped(t, c, thin)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	dmctl.Sync()
	trimmed, err := dmctl.FITrim(dir)
	if err != nil {
		t.Fatalf("FITrim(%s) = %v", dir, err)
	}
	dmctl.Sync()
	after := thinMapped(t, c, thin)
	t.Logf("FITrim trimmed %d bytes; thin mapped %d -> %d sectors", trimmed, full, after)
	if trimmed < 32<<20 {
		t.Errorf("FITrim(%s) = %d bytes, want at least the 32 MiB deleted", dir, trimmed)
	}
	// All the file's blocks but a few partly shared with ext4's own data.
	if full-after < 30<<11 {
		t.Errorf("thin mapped sectors %d -> %d, want about %d fewer", full, after, 32<<11)
	}

	if err := dmctl.Unmount(dir, false); err != nil {
		t.Fatalf("Unmount(%s) = %v", dir, err)
	}
	mounted = false
	// Read-only mount: writes fail.
	if err := dmctl.Mount(dmctl.NodePath(thin), dir, "ext4", "", true); err != nil {
		t.Fatalf("Mount(%s, read-only) = %v", thin, err)
	}
	if err := os.WriteFile(dir+"/x", []byte("x"), 0o600); !errors.Is(err, unix.EROFS) {
		t.Errorf("write on a read-only mount = %v, want EROFS", err)
	}
	if err := dmctl.Unmount(dir, true); err != nil {
		t.Fatalf("Unmount(%s, detach) = %v", dir, err)
	}
	err = dmctl.Unmount(dir, false)
	wantErrno(t, "Unmount(not mounted)", err, unix.EINVAL)
	err = dmctl.Mount(dmctl.NodePath(thin), dir, "no-such-fs", "", false)
	wantErrno(t, "Mount(unknown fs type)", err, unix.ENODEV)
}
