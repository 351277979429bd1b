package pool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/pool/thinmeta"
)

// errCrash is what every call returns once a simulated kill has happened.
var errCrash = errors.New("simulated crash")

// crasher stops the world at the n-th mutating step: that step and every
// call after it fail, as if the process had been killed just before it.
type crasher struct {
	at      int // 0: never
	steps   int
	crashed bool
}

func (c *crasher) step(what string) error {
	if c == nil {
		return nil
	}
	if c.crashed {
		return errCrash
	}
	c.steps++
	if c.at != 0 && c.steps == c.at {
		c.crashed = true
		return fmt.Errorf("%s: %w", what, errCrash)
	}
	return nil
}

func (c *crasher) read() error {
	if c != nil && c.crashed {
		return errCrash
	}
	return nil
}

// fakeThinPool is the content of a thin pool's metadata.
type fakeThinPool struct {
	thins     map[int]fakeFS // thin id → filesystem on it
	txID      uint64
	blockSecs uint64
	totalData uint64
	usedData  uint64
	totalMeta uint64
	mode      string
	commits   int
}

type fakeFS struct{ typ, uuid string }

type fakeDevice struct {
	name      string
	uuid      string
	dev       dmctl.Dev
	live      []dmctl.Target
	inactive  []dmctl.Target
	suspended bool
	open      int32
	deferred  bool
	poolKey   string // thin-pool: key of its metadata
}

type fakeLoop struct {
	path string
	dev  dmctl.Dev
	file string
	st   syscall.Stat_t // the file's, when attached
}

// fakeKernel implements DM and System in memory, with the dm-thin message
// semantics that matter here (EEXIST, ENODATA, EBUSY, the transaction id
// compare-and-swap).
type fakeKernel struct {
	t         *testing.T
	devs      map[string]*fakeDevice
	pools     map[string]*fakeThinPool // by metadata key (backing file or device path)
	loops     map[string]*fakeLoop     // by loop path
	blockDevs map[string]dmctl.Dev     // regular files posing as block devices
	mounts    map[string]dmctl.Dev     // mount point → device
	opens     map[dmctl.Dev]int        // processes holding a device open
	discards  []string
	// mountTableReads counts reads of the whole mount table.
	mountTableReads int
	minor           uint32
	loopN           int
	uuidN           int
	crash           *crasher
	msgs            []string
	ops             []string         // suspends and resumes, in order
	failMsg         map[string]error // message prefix → error to return
	failMkfs        error
	sigs            map[string]Signature // device → signature ProbeSignature finds
	fsFree          uint64               // free bytes FSStat reports (0: 1 TiB)
	xfsRetries      map[dmctl.Dev]string // SetXFSNospaceMaxRetries calls
}

func newFakeKernel(t *testing.T) *fakeKernel {
	return &fakeKernel{t: t, devs: map[string]*fakeDevice{}, pools: map[string]*fakeThinPool{},
		loops: map[string]*fakeLoop{}, blockDevs: map[string]dmctl.Dev{}, mounts: map[string]dmctl.Dev{},
		opens: map[dmctl.Dev]int{}, failMsg: map[string]error{}}
}

func noDev(op, name string) error {
	return &dmctl.Error{Op: op, Device: name, Err: fmt.Errorf("%w (%w)", dmctl.ErrNoDevice, syscall.ENXIO)}
}

func dmErr(op, name string, errno syscall.Errno) error {
	return &dmctl.Error{Op: op, Device: name, Err: errno}
}

func (k *fakeKernel) info(d *fakeDevice) dmctl.DeviceInfo {
	i := dmctl.DeviceInfo{Name: d.name, UUID: d.uuid, Dev: d.dev, OpenCount: d.open + int32(k.opens[d.dev])}
	for dir, dev := range k.mounts {
		_ = dir
		if dev == d.dev {
			i.OpenCount++
		}
	}
	if d.live != nil {
		i.Flags |= dmctl.FlagActivePresent
		i.TargetCount = uint32(len(d.live))
	}
	if d.inactive != nil {
		i.Flags |= dmctl.FlagInactivePresent
	}
	if d.suspended {
		i.Flags |= dmctl.FlagSuspended
	}
	if d.deferred {
		i.Flags |= dmctl.FlagDeferredRemove
	}
	return i
}

func (k *fakeKernel) Info(name string) (dmctl.DeviceInfo, error) {
	if err := k.crash.read(); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, noDev("info", name)
	}
	return k.info(d), nil
}

func (k *fakeKernel) InfoByDev(dev dmctl.Dev) (dmctl.DeviceInfo, error) {
	if err := k.crash.read(); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	for _, d := range k.devs {
		if d.dev == dev {
			return k.info(d), nil
		}
	}
	return dmctl.DeviceInfo{}, noDev("info", dev.String())
}

func (k *fakeKernel) List(opts dmctl.ListOptions) ([]dmctl.NameEntry, error) {
	if err := k.crash.read(); err != nil {
		return nil, err
	}
	var out []dmctl.NameEntry
	for _, d := range k.devs {
		if strings.HasPrefix(d.name, opts.NamePrefix) {
			out = append(out, dmctl.NameEntry{Name: d.name, Dev: d.dev})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (k *fakeKernel) CreateDevice(name, uuid string, targets []dmctl.Target, readOnly bool) (dmctl.DeviceInfo, error) {
	if err := k.crash.step("create " + name); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	if _, ok := k.devs[name]; ok {
		return dmctl.DeviceInfo{}, dmErr("create", name, syscall.EEXIST)
	}
	k.minor++
	d := &fakeDevice{name: name, uuid: uuid, dev: dmctl.MakeDev(253, k.minor)}
	if err := k.bind(d, targets); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d.live = targets
	k.devs[name] = d
	return k.info(d), nil
}

// bind checks a table and takes references, as a table load does.
func (k *fakeKernel) bind(d *fakeDevice, targets []dmctl.Target) error {
	if len(targets) != 1 {
		return dmErr("table load", d.name, syscall.EINVAL)
	}
	t := targets[0]
	switch t.Type {
	case "thin-pool":
		pt, err := ParsePoolTable(t.Params)
		if err != nil {
			return dmErr("table load", d.name, syscall.EINVAL)
		}
		key, ok := k.backing(pt.MetadataDev)
		if !ok {
			return dmErr("table load", d.name, syscall.ENODEV)
		}
		if _, ok := k.backing(pt.DataDev); !ok {
			return dmErr("table load", d.name, syscall.ENODEV)
		}
		tp, ok := k.pools[key]
		if !ok || k.unformatted(key) {
			// The kernel formats metadata whose superblock is all zeros.
			tp = &fakeThinPool{thins: map[int]fakeFS{}, blockSecs: pt.BlockSectors, totalMeta: 524288, mode: "rw"}
			k.pools[key] = tp
			k.persist(key, tp)
		} else if tp.blockSecs != pt.BlockSectors {
			return dmErr("table load", d.name, syscall.EINVAL)
		}
		tp.totalData = t.Length / pt.BlockSectors
		d.poolKey = key
	case "thin":
		f := strings.Fields(t.Params)
		pool := k.byDev(f[0])
		if pool == nil || pool.poolKey == "" {
			return dmErr("table load", d.name, syscall.ENODEV)
		}
		id, _ := strconv.Atoi(f[1])
		if _, ok := k.pools[pool.poolKey].thins[id]; !ok {
			return dmErr("table load", d.name, syscall.ENODATA)
		}
		pool.open++
	default:
		return dmErr("table load", d.name, syscall.EINVAL)
	}
	return nil
}

func (k *fakeKernel) byDev(s string) *fakeDevice {
	for _, d := range k.devs {
		if d.dev.String() == s {
			return d
		}
	}
	return nil
}

// backing names what a device number stands for: a loop's file or a
// block device's path.
func (k *fakeKernel) backing(dev dmctl.Dev) (string, bool) {
	for _, l := range k.loops {
		if l.dev == dev {
			return l.file, true
		}
	}
	for p, d := range k.blockDevs {
		if d == dev {
			return p, true
		}
	}
	return "", false
}

func (k *fakeKernel) Load(name string, targets []dmctl.Target, readOnly bool) (dmctl.DeviceInfo, error) {
	if err := k.crash.step("load " + name); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, noDev("table load", name)
	}
	d.inactive = targets
	return k.info(d), nil
}

func (k *fakeKernel) ClearTable(name string) (dmctl.DeviceInfo, error) {
	if err := k.crash.step("clear " + name); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, noDev("table clear", name)
	}
	d.inactive = nil
	return k.info(d), nil
}

func (k *fakeKernel) Suspend(name string, _ dmctl.SuspendOptions) (dmctl.DeviceInfo, error) {
	if err := k.crash.step("suspend " + name); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, noDev("suspend", name)
	}
	d.suspended = true
	k.ops = append(k.ops, "suspend "+name)
	return k.info(d), nil
}

func (k *fakeKernel) Resume(name string) (dmctl.DeviceInfo, error) {
	if err := k.crash.step("resume " + name); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, noDev("resume", name)
	}
	if d.inactive != nil {
		if d.poolKey != "" {
			pt, _ := ParsePoolTable(d.inactive[0].Params)
			k.pools[d.poolKey].totalData = d.inactive[0].Length / pt.BlockSectors
		}
		d.live, d.inactive = d.inactive, nil
	}
	d.suspended = false
	k.ops = append(k.ops, "resume "+name)
	return k.info(d), nil
}

func (k *fakeKernel) Remove(name string, opts dmctl.RemoveOptions) (dmctl.DeviceInfo, error) {
	if err := k.crash.step("remove " + name); err != nil {
		return dmctl.DeviceInfo{}, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, noDev("remove", name)
	}
	info := k.info(d)
	if info.OpenCount > 0 {
		if opts.Deferred {
			d.deferred = true
			return k.info(d), nil
		}
		return info, dmErr("remove", name, syscall.EBUSY)
	}
	if len(d.live) == 1 && d.live[0].Type == "thin" {
		if pool := k.byDev(strings.Fields(d.live[0].Params)[0]); pool != nil {
			pool.open--
		}
	}
	delete(k.devs, name)
	return info, nil
}

func (k *fakeKernel) Status(name string, _ dmctl.StatusOptions) (dmctl.DeviceInfo, []dmctl.Target, error) {
	if err := k.crash.read(); err != nil {
		return dmctl.DeviceInfo{}, nil, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, nil, noDev("status", name)
	}
	t := d.live[0]
	switch t.Type {
	case "thin-pool":
		tp := k.pools[d.poolKey]
		t.Params = fmt.Sprintf("%d %d/%d %d/%d - %s discard_passdown queue_if_no_space - 1024 ",
			tp.txID, 100+len(tp.thins), tp.totalMeta, tp.usedData, tp.totalData, tp.mode)
	case "thin":
		t.Params = "0 -"
	}
	return k.info(d), []dmctl.Target{t}, nil
}

func (k *fakeKernel) Table(name string, _ dmctl.StatusOptions) (dmctl.DeviceInfo, []dmctl.Target, error) {
	if err := k.crash.read(); err != nil {
		return dmctl.DeviceInfo{}, nil, err
	}
	d, ok := k.devs[name]
	if !ok {
		return dmctl.DeviceInfo{}, nil, noDev("table", name)
	}
	return k.info(d), d.live, nil
}

func (k *fakeKernel) Message(name string, _ uint64, msg string) (string, error) {
	if err := k.crash.step("message " + msg); err != nil {
		return "", err
	}
	d, ok := k.devs[name]
	if !ok {
		return "", noDev("message", name)
	}
	for prefix, err := range k.failMsg {
		if strings.HasPrefix(msg, prefix) {
			return "", err
		}
	}
	if msg == "@cancel_deferred_remove" {
		if !d.deferred {
			return "", dmErr("message", name, syscall.ENXIO)
		}
		d.deferred = false
		return "", nil
	}
	tp := k.pools[d.poolKey]
	if tp == nil {
		return "", dmErr("message", name, syscall.EINVAL)
	}
	if tp.mode != "rw" {
		return "", dmErr("message", name, syscall.EOPNOTSUPP)
	}
	k.msgs = append(k.msgs, msg)
	f := strings.Fields(msg)
	num := func(i int) int { n, _ := strconv.Atoi(f[i]); return n }
	switch f[0] {
	case "create_thin":
		if _, ok := tp.thins[num(1)]; ok {
			return "", dmErr("message", name, syscall.EEXIST)
		}
		tp.thins[num(1)] = fakeFS{}
	case "create_snap":
		origin, ok := tp.thins[num(2)]
		if !ok {
			return "", dmErr("message", name, syscall.ENODATA)
		}
		if _, ok := tp.thins[num(1)]; ok {
			return "", dmErr("message", name, syscall.EEXIST)
		}
		tp.thins[num(1)] = origin
	case "delete":
		if _, ok := tp.thins[num(1)]; !ok {
			return "", dmErr("message", name, syscall.ENODATA)
		}
		for _, t := range k.devs {
			if len(t.live) == 1 && t.live[0].Type == "thin" && strings.Fields(t.live[0].Params)[1] == f[1] {
				return "", dmErr("message", name, syscall.EBUSY)
			}
		}
		delete(tp.thins, num(1))
	case "set_transaction_id":
		old, _ := strconv.ParseUint(f[1], 10, 64)
		nw, _ := strconv.ParseUint(f[2], 10, 64)
		if old != tp.txID {
			return "", dmErr("message", name, syscall.EINVAL)
		}
		tp.txID = nw
	default:
		return "", dmErr("message", name, syscall.EINVAL)
	}
	tp.commits++
	k.persist(d.poolKey, tp)
	return "", nil
}

// unformatted reports whether the metadata file behind key starts with a
// block of zeros, as the kernel checks before formatting it.
func (k *fakeKernel) unformatted(key string) bool {
	if !regularFile(key) {
		return false // a device the test only names
	}
	b, err := readMetadataHeader(key)
	if err != nil {
		k.t.Fatalf("fake kernel: %v", err)
	}
	return !bytes.ContainsFunc(b, func(r rune) bool { return r != 0 })
}

// persist writes the pool's superblock (block size, transaction id) to its
// metadata file, as the kernel's commit does, so that dmctl's own reader
// finds what the kernel would leave.
func (k *fakeKernel) persist(key string, tp *fakeThinPool) {
	sb := thinmeta.Superblock{Version: 2, TransactionID: tp.txID, DataBlockSize: uint32(tp.blockSecs),
		MetadataBlockSize: 8, NrMetadataBlocks: tp.totalMeta}
	if !regularFile(key) {
		// A device the test only names, such as /dev/vdc: in the test
		// guest that is a real disk, never to be written.
		return
	}
	f, err := os.OpenFile(key, os.O_WRONLY, 0)
	if err != nil {
		k.t.Fatalf("fake kernel: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteAt(sb.Marshal(), 0); err != nil {
		k.t.Fatalf("fake kernel: %v", err)
	}
}

// thinOf resolves /dev/mapper/<name> to its pool and thin id.
func (k *fakeKernel) thinOf(path string) (*fakeThinPool, int, bool) {
	d, ok := k.devs[strings.TrimPrefix(path, mapperDir)]
	if !ok || len(d.live) != 1 || d.live[0].Type != "thin" {
		return nil, 0, false
	}
	f := strings.Fields(d.live[0].Params)
	pool := k.byDev(f[0])
	id, _ := strconv.Atoi(f[1])
	return k.pools[pool.poolKey], id, true
}

// System.

func (k *fakeKernel) AttachLoop(file string, opts dmctl.LoopOptions) (dmctl.LoopDevice, error) {
	if err := k.crash.step("attach " + file); err != nil {
		return dmctl.LoopDevice{}, err
	}
	if _, err := os.Stat(file); err != nil {
		return dmctl.LoopDevice{}, err
	}
	l := &fakeLoop{path: "/dev/loop" + strconv.Itoa(k.loopN), dev: dmctl.MakeDev(7, uint32(k.loopN)), file: file}
	if err := syscall.Stat(file, &l.st); err != nil {
		return dmctl.LoopDevice{}, err
	}
	k.loopN++
	k.loops[l.path] = l
	return dmctl.LoopDevice{Path: l.path, Dev: l.dev, BackingFile: file, Autoclear: opts.Autoclear}, nil
}

func (k *fakeKernel) FindLoop(file string) (dmctl.LoopDevice, bool, error) {
	if err := k.crash.read(); err != nil {
		return dmctl.LoopDevice{}, false, err
	}
	if _, err := os.Stat(file); err != nil {
		return dmctl.LoopDevice{}, false, err
	}
	for _, l := range k.loops {
		if l.file == file {
			return dmctl.LoopDevice{Path: l.path, Dev: l.dev, BackingFile: file}, true, nil
		}
	}
	return dmctl.LoopDevice{}, false, nil
}

func (k *fakeKernel) LoopStatusOf(dev dmctl.Dev) (dmctl.LoopDevice, error) {
	if err := k.crash.read(); err != nil {
		return dmctl.LoopDevice{}, err
	}
	for _, l := range k.loops {
		if l.dev != dev {
			continue
		}
		d := dmctl.LoopDevice{Path: l.path, Dev: l.dev, BackingFile: l.file, BackingDev: uint64(l.st.Dev), BackingInode: l.st.Ino}
		var now syscall.Stat_t
		if err := syscall.Stat(l.file, &now); err != nil || now.Dev != l.st.Dev || now.Ino != l.st.Ino {
			d.BackingFile += " (deleted)" // as sysfs says of a file removed or replaced
		}
		return d, nil
	}
	return dmctl.LoopDevice{}, dmErr("loop status", dev.String(), syscall.ENOTTY)
}

func (k *fakeKernel) SetLoopCapacity(path string) error {
	if err := k.crash.step("capacity " + path); err != nil {
		return err
	}
	if _, ok := k.loops[path]; !ok {
		return dmErr("loop set capacity", path, syscall.ENXIO)
	}
	return nil
}

func (k *fakeKernel) DetachLoop(path string) error {
	if err := k.crash.step("detach " + path); err != nil {
		return err
	}
	l, ok := k.loops[path]
	if !ok {
		return nil
	}
	for _, d := range k.devs {
		if d.poolKey != "" {
			if pt, err := ParsePoolTable(d.live[0].Params); err == nil && (pt.DataDev == l.dev || pt.MetadataDev == l.dev) {
				return nil // detached at last close
			}
		}
	}
	delete(k.loops, path)
	return nil
}

func (k *fakeKernel) DeviceSize(path string) (uint64, error) {
	if err := k.crash.read(); err != nil {
		return 0, err
	}
	if l, ok := k.loops[path]; ok {
		path = l.file
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return uint64(fi.Size()), nil
}

func (k *fakeKernel) IsBlockDevice(path string) (dmctl.Dev, bool, error) {
	if err := k.crash.read(); err != nil {
		return 0, false, err
	}
	if l, ok := k.loops[path]; ok {
		return l.dev, true, nil
	}
	if d, ok := k.blockDevs[path]; ok {
		return d, true, nil
	}
	if d, ok := k.devs[strings.TrimPrefix(path, mapperDir)]; ok {
		return d.dev, true, nil
	}
	if _, err := os.Stat(path); err != nil {
		return 0, false, err
	}
	return 0, false, nil
}

func (k *fakeKernel) Discard(path string, offset, length uint64) error {
	if err := k.crash.step("discard " + path); err != nil {
		return err
	}
	k.discards = append(k.discards, path)
	return nil
}

func (k *fakeKernel) Sync() {}

func (k *fakeKernel) Mount(source, target, fstype, data string, readOnly bool) error {
	if err := k.crash.step("mount " + source); err != nil {
		return err
	}
	d, ok := k.devs[strings.TrimPrefix(source, mapperDir)]
	if !ok {
		return syscall.ENOENT
	}
	if _, ok := k.mounts[target]; ok {
		return syscall.EBUSY
	}
	k.mounts[target] = d.dev
	return nil
}

func (k *fakeKernel) Unmount(target string, detach bool) error {
	if err := k.crash.step("unmount " + target); err != nil {
		return err
	}
	if _, ok := k.mounts[target]; !ok {
		return syscall.EINVAL
	}
	delete(k.mounts, target)
	return nil
}

func (k *fakeKernel) MountPoints(dev dmctl.Dev) ([]string, error) {
	if err := k.crash.read(); err != nil {
		return nil, err
	}
	var out []string
	for dir, d := range k.mounts {
		if d == dev {
			out = append(out, dir)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (k *fakeKernel) Mounts() (Mounts, error) {
	if err := k.crash.read(); err != nil {
		return nil, err
	}
	k.mountTableReads++
	out := Mounts{}
	for dir, d := range k.mounts {
		out[d] = append(out[d], dir)
	}
	for _, dirs := range out {
		sort.Strings(dirs)
	}
	return out, nil
}

func (k *fakeKernel) Holders(dev dmctl.Dev, _ []string) ([]Holder, error) {
	if err := k.crash.read(); err != nil {
		return nil, err
	}
	mps, _ := k.MountPoints(dev)
	var out []Holder
	for _, mp := range mps {
		out = append(out, Holder{Kind: HolderMount, Path: mp})
	}
	for i := 0; i < k.opens[dev]; i++ {
		out = append(out, Holder{Kind: HolderProcess, PID: 4242 + i, Command: "cat"})
	}
	return out, nil
}

func (k *fakeKernel) Mkfs(fstype, device string, args []string) error {
	if err := k.crash.step("mkfs " + device); err != nil {
		return err
	}
	if k.failMkfs != nil {
		return k.failMkfs
	}
	tp, id, ok := k.thinOf(device)
	if !ok {
		return fmt.Errorf("mkfs: %s: no such device", device)
	}
	k.uuidN++
	tp.thins[id] = fakeFS{typ: fstype, uuid: fmt.Sprintf("00000000-0000-0000-0000-%012d", k.uuidN)}
	return nil
}

func (k *fakeKernel) ProbeFilesystem(device string) (FSInfo, error) {
	if err := k.crash.read(); err != nil {
		return FSInfo{}, err
	}
	tp, id, ok := k.thinOf(device)
	if !ok {
		return FSInfo{}, fmt.Errorf("probe %s: no such device", device)
	}
	fs := tp.thins[id]
	if fs.typ == "" {
		return FSInfo{}, fmt.Errorf("probe filesystem: %w", ErrUnknownFilesystem)
	}
	return FSInfo{Type: fs.typ, UUID: fs.uuid}, nil
}

func (k *fakeKernel) FSFree(string) (uint64, error) { return 1 << 40, nil }

func (k *fakeKernel) FSStat(string) (uint64, uint64, error) {
	if k.fsFree != 0 {
		return k.fsFree, 2 << 40, nil
	}
	return 1 << 40, 2 << 40, nil
}

func (k *fakeKernel) Allocated(path string) (uint64, error) { return dmctl.AllocatedBytes(path) }

func (k *fakeKernel) SetXFSNospaceMaxRetries(dev dmctl.Dev, value string) error {
	if k.xfsRetries == nil {
		k.xfsRetries = map[dmctl.Dev]string{}
	}
	k.xfsRetries[dev] = value
	return nil
}

func (k *fakeKernel) ProbeSignature(device string) (Signature, bool, error) {
	if err := k.crash.read(); err != nil {
		return Signature{}, false, err
	}
	s, ok := k.sigs[device]
	return s, ok, nil
}

// poolOf returns the thin pool state behind a pool device name.
func (k *fakeKernel) poolOf(name string) *fakeThinPool {
	d, ok := k.devs[name]
	if !ok {
		return nil
	}
	return k.pools[d.poolKey]
}

// env returns an Env over the fake with a fixed clock.
func (k *fakeKernel) env() Env {
	return Env{DM: k, Sys: k, LockTimeout: 200 * time.Millisecond,
		verifyMetadata: func(string) error { return nil }, // only a superblock: see persist
		Now:            func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }}
}

// testConfig is Docker's defaults with small loop files and ext4.
func testConfig() Config {
	c := defaultConfig(FSExt4)
	c.DataLoopSize = 64 * MiB
	c.MetadataLoopSize = 8 * MiB
	c.BaseSize = 16 * MiB
	return c
}

// closeDevice drops a process's hold on dev, removing the device if its
// removal was deferred, as the kernel does at the last close.
func (k *fakeKernel) closeDevice(dev dmctl.Dev) {
	k.opens[dev]--
	for name, d := range k.devs {
		if d.dev == dev && d.deferred && k.info(d).OpenCount == 0 {
			d.deferred = false
			if _, err := k.Remove(name, dmctl.RemoveOptions{}); err != nil {
				k.t.Fatalf("deferred removal of %s: %v", name, err)
			}
		}
	}
}

// reboot forgets every device-mapper device and loop device.
func (k *fakeKernel) reboot() {
	k.devs = map[string]*fakeDevice{}
	k.loops = map[string]*fakeLoop{}
	k.mounts = map[string]dmctl.Dev{}
	k.opens = map[dmctl.Dev]int{}
}

// regularFile reports whether path is a regular file (not a symbolic link
// or a device).
func regularFile(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}
