//go:build linux

package pool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dmctl/dmctl/dmctl"
)

// DefaultRoot is the pool root used when none is given.
const DefaultRoot = "/var/lib/dmctl"

// RootEnv names the environment variable that overrides DefaultRoot.
const RootEnv = "DMCTL_ROOT"

// Names of the files and directories under a root, as Docker's driver
// laid them out (plus dmctl's own pool record and lock).
const (
	loopDirName         = "devicemapper"
	dataFileName        = "data"
	metadataFileName    = "metadata"
	metadataDirName     = "metadata"
	mountDirName        = "mnt"
	deviceSetFileName   = "deviceset-metadata"
	transactionFileName = "transaction-metadata"
	poolConfigFileName  = "dmctl-pool.json"
	lockFileName        = ".dmctl.lock"
)

// PoolRecordVersion is the version of the dmctl-pool.json format.
const PoolRecordVersion = 1

// DeviceMeta is one thin device's JSON file, metadata/<id>. The first five
// fields are Docker's, in Docker's order; the others are dmctl's and are
// left out when empty, so a file Docker wrote is rewritten as it was.
type DeviceMeta struct {
	// ID names the device (the file name; "base" for the base device).
	ID string `json:"-"`
	// DeviceID is the thin id in the pool (24 bits).
	DeviceID int `json:"device_id"`
	// Size is the device's size in bytes.
	Size uint64 `json:"size"`
	// TransactionID is the pool transaction that created the device.
	TransactionID uint64 `json:"transaction_id"`
	// Initialized is set on the base device once its filesystem is made.
	Initialized bool `json:"initialized"`
	// Deleted marks a device whose deletion was deferred while it was busy.
	Deleted bool `json:"deleted"`
	// Origin is the id of the device this one is a snapshot of.
	Origin string `json:"origin,omitempty"`
	// CreatedAt is when dmctl created the device.
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// DeviceSetMeta is metadata/deviceset-metadata. The last two fields had
// no JSON tags in Docker's driver and keep their Go names.
type DeviceSetMeta struct {
	NextDeviceID         int    `json:"next_device_id"`
	BaseDeviceUUID       string `json:"BaseDeviceUUID"`
	BaseDeviceFilesystem string `json:"BaseDeviceFilesystem"`
}

// Transaction is metadata/transaction-metadata: the transaction that was
// opened last. Docker named the base device "" here; see ID. Suspended is
// dmctl's: the device (an active snapshot origin) the transaction suspends,
// which recovery resumes.
type Transaction struct {
	OpenTransactionID uint64 `json:"open_transaction_id"`
	DeviceHash        string `json:"device_hash"`
	DeviceID          int    `json:"device_id"`
	Suspended         string `json:"suspended,omitempty"`
}

// ID returns the id of the transaction's device ("base" for Docker's "").
func (t Transaction) ID() string {
	if t.DeviceHash == "" {
		return BaseID
	}
	return t.DeviceHash
}

// PoolRecord is dmctl's own metadata/dmctl-pool.json: how the pool was
// made. Docker never wrote it; a root without it is read as Docker left it.
type PoolRecord struct {
	Version   int       `json:"version"`
	Mode      Mode      `json:"mode"`
	Prefix    string    `json:"prefix"`
	PoolName  string    `json:"pool_name"`
	Config    Config    `json:"config"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// LVM is the volume of an adopted pool LVM made (its device-mapper
	// uuid starts with "LVM-"): dmctl grows it through LVM and never
	// loads a table into it.
	LVM *LVMVolume `json:"lvm,omitempty"`
	// AdoptedTransactionID is an adopted pool's transaction id when dmctl
	// took it over; pool destroy puts it back.
	AdoptedTransactionID uint64 `json:"adopted_transaction_id,omitempty"`
}

// Store reads and writes the state files under a pool root. Every name
// under the root is resolved one component at a time without following
// symbolic links (dmctl.Dir), so that a link planted in the root cannot
// make dmctl read, write, lock or delete anything outside it; a link
// where a state file should be is an error, not a file. Every write is
// atomic: a temporary file in the same directory, fsync, rename, fsync
// of the directory; removals fsync the directory too. Files are made
// with mode 0600 and directories with 0700.
type Store struct {
	root string
	// hook, when set, runs before every change of a file; tests use it to
	// stop an operation at any step.
	hook func(op, path string) error
	// meta is the metadata directory, opened on first use.
	meta *dmctl.Dir
}

// NewStore returns the store of the pool rooted at root.
func NewStore(root string) *Store { return &Store{root: root} }

// Close releases the directory the store holds open.
func (s *Store) Close() error {
	if s == nil || s.meta == nil {
		return nil
	}
	err := s.meta.Close()
	s.meta = nil
	return err
}

// Root returns the pool root.
func (s *Store) Root() string { return s.root }

// DataFile returns the path of a loop pool's sparse data file.
func (s *Store) DataFile() string { return filepath.Join(s.root, loopDirName, dataFileName) }

// MetadataFile returns the path of a loop pool's sparse metadata file.
func (s *Store) MetadataFile() string { return filepath.Join(s.root, loopDirName, metadataFileName) }

// MetadataDir returns the directory of the JSON state files.
func (s *Store) MetadataDir() string { return filepath.Join(s.root, metadataDirName) }

// MountDir returns the default mount point of a device.
func (s *Store) MountDir(id string) string { return filepath.Join(s.root, mountDirName, id) }

// LockFile returns the path of the root's lock file.
func (s *Store) LockFile() string { return filepath.Join(s.MetadataDir(), lockFileName) }

func (s *Store) deviceFile(id string) string { return filepath.Join(s.MetadataDir(), id) }

// metaDir returns the metadata directory, opened without following a
// link at metadata/.
func (s *Store) metaDir() (*dmctl.Dir, error) {
	if s.meta != nil {
		return s.meta, nil
	}
	d, err := s.subDir(metadataDirName)
	if err != nil {
		return nil, err
	}
	s.meta = d
	return d, nil
}

// subDir opens the directory name of the root (the caller closes it).
func (s *Store) subDir(name string) (*dmctl.Dir, error) {
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.Sub(name)
}

// Init creates the root and its directories (mode 0700, as Docker did),
// after checking that nobody else can write where they are made (see
// checkCreateRoot). It returns what it created, parents first, so that a
// failed create can leave the root as it found it (Uninit).
func (s *Store) Init(loop bool) (made []string, err error) {
	if err := checkCreateRoot(s.root); err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.root); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(s.root, 0o700); err != nil {
			return nil, fmt.Errorf("create pool directory: %w", err)
		}
		made = append(made, s.root)
	}
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		return made, fmt.Errorf("create pool directory: %w", err)
	}
	defer root.Close()
	dirs := []string{metadataDirName, mountDirName}
	if loop {
		dirs = append(dirs, loopDirName)
	}
	for _, d := range dirs {
		if _, err := root.Lstat(d); err == nil {
			continue
		}
		if err := root.Mkdir(d, 0o700); err != nil {
			return made, fmt.Errorf("create pool directory: %w", err)
		}
		made = append(made, filepath.Join(s.root, d))
	}
	return made, CheckRoot(s.root)
}

// Uninit removes what Init made, for a pool create that failed: the lock
// files in a metadata directory it made, then the directories, which must
// be empty by then; children first.
func (s *Store) Uninit(made []string) error {
	s.Close()
	var errs []error
	for i := len(made) - 1; i >= 0; i-- {
		if made[i] == s.MetadataDir() {
			for _, name := range []string{lockFileName, msnapLockFileName} {
				if err := os.Remove(filepath.Join(made[i], name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, err)
				}
			}
		}
		if err := os.Remove(made[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ReadDevice reads one device's JSON file. A missing file is
// ErrDeviceNotFound; a file whose fields are out of range is an error
// naming it.
func (s *Store) ReadDevice(id string) (DeviceMeta, error) {
	var m DeviceMeta
	if err := s.readJSON(id, &m); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return DeviceMeta{}, fmt.Errorf("device %s: %w", id, ErrDeviceNotFound)
		}
		return DeviceMeta{}, err
	}
	m.ID = id
	if err := m.validate(); err != nil {
		return DeviceMeta{}, fmt.Errorf("device file %s: %w", s.deviceFile(id), err)
	}
	return m, nil
}

// validate checks the fields of a device file, which dmctl does not trust.
func (m DeviceMeta) validate() error {
	switch {
	case m.DeviceID < 0 || m.DeviceID > maxThinDevID:
		return fmt.Errorf("device_id %d is not a thin id (0 to %d)", m.DeviceID, maxThinDevID)
	case m.Size == 0 || m.Size%SectorBytes != 0 || m.Size > maxDeviceBytes:
		return fmt.Errorf("size %d is not a device size (a positive multiple of %d up to %d)", m.Size, SectorBytes, uint64(maxDeviceBytes))
	case m.Origin != "" && !plainName(m.Origin):
		return fmt.Errorf("origin %q is not a device id", m.Origin)
	}
	return nil
}

// maxDeviceBytes bounds a thin device's size: its length in sectors must
// fit the kernel's signed sector count.
const maxDeviceBytes = 1<<63 - 1

// plainName reports whether s can name a file of the metadata directory
// (one path component, no control characters).
func plainName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if r == '/' || r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// WriteDevice writes a device's JSON file.
func (s *Store) WriteDevice(m DeviceMeta) error {
	return s.writeJSON(m.ID, m)
}

// RemoveDevice removes a device's JSON file; a missing file is not an
// error.
func (s *Store) RemoveDevice(id string) error { return s.remove(id) }

// Devices reads every device's JSON file, sorted by id. Files that are
// not device files (Docker's and dmctl's other state, hidden and
// temporary files, directories, symbolic links) are skipped, and so is a
// file removed while the directory was read; a device file that cannot
// be read is an error, because its thin id would otherwise be reused.
func (s *Store) Devices() ([]DeviceMeta, error) {
	entries, err := s.entries()
	if err != nil || entries == nil {
		return nil, err
	}
	var out []DeviceMeta
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !isDeviceFileName(name) {
			continue
		}
		m, err := s.ReadDevice(name)
		if errors.Is(err, ErrDeviceNotFound) {
			continue // removed meanwhile by a command that holds the lock
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// isDeviceFileName reports whether a regular file of the metadata
// directory is a device file.
func isDeviceFileName(name string) bool {
	return !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, migratedSuffix) &&
		name != deviceSetFileName && name != transactionFileName && name != poolConfigFileName
}

// Links returns the names of symbolic links and other non-regular
// entries in the metadata directory where device files could be: dmctl
// never follows them, and check reports them.
func (s *Store) Links() ([]string, error) {
	entries, err := s.entries()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.Type().IsRegular() && !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// entries lists the metadata directory (nil when it does not exist).
func (s *Store) entries() ([]fs.DirEntry, error) {
	d, err := s.metaDir()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read pool metadata: %w", err)
	}
	entries, err := d.Entries()
	if err != nil {
		return nil, fmt.Errorf("read pool metadata: %w", err)
	}
	return entries, nil
}

// ReadDeviceSet reads deviceset-metadata; ok is false when it is missing.
func (s *Store) ReadDeviceSet() (m DeviceSetMeta, ok bool, err error) {
	m, ok, err = readOptional[DeviceSetMeta](s, deviceSetFileName)
	if err == nil && (m.NextDeviceID < 0 || m.NextDeviceID > maxThinDevID) {
		// Only where the search for a free id starts: start afresh.
		m.NextDeviceID = 0
	}
	return m, ok, err
}

// WriteDeviceSet writes deviceset-metadata.
func (s *Store) WriteDeviceSet(m DeviceSetMeta) error {
	return s.writeJSON(deviceSetFileName, m)
}

// ReadTransaction reads transaction-metadata; ok is false when it is
// missing. Its device name and thin id are checked: recovery acts on them.
func (s *Store) ReadTransaction() (t Transaction, ok bool, err error) {
	t, ok, err = readOptional[Transaction](s, transactionFileName)
	if err != nil || !ok {
		return t, ok, err
	}
	if err := t.validate(); err != nil {
		return Transaction{}, false, fmt.Errorf("%s: %w", s.deviceFile(transactionFileName), err)
	}
	return t, true, nil
}

// validate checks the fields of transaction-metadata, which dmctl does
// not trust: the device names must be device ids, never paths.
func (t Transaction) validate() error {
	switch {
	case t.DeviceHash != "" && (!plainName(t.DeviceHash) || !isDeviceFileName(t.DeviceHash)):
		return fmt.Errorf("device_hash %q is not a device id", t.DeviceHash)
	case t.Suspended != "" && (!plainName(t.Suspended) || !isDeviceFileName(t.Suspended)):
		return fmt.Errorf("suspended %q is not a device id", t.Suspended)
	case t.DeviceID < 0 || t.DeviceID > maxThinDevID:
		return fmt.Errorf("device_id %d is not a thin id (0 to %d)", t.DeviceID, maxThinDevID)
	}
	return nil
}

// WriteTransaction writes transaction-metadata.
func (s *Store) WriteTransaction(t Transaction) error {
	return s.writeJSON(transactionFileName, t)
}

// RemoveTransaction removes transaction-metadata.
func (s *Store) RemoveTransaction() error {
	return s.remove(transactionFileName)
}

// ReadPoolRecord reads dmctl-pool.json; ok is false when it is missing.
func (s *Store) ReadPoolRecord() (r PoolRecord, ok bool, err error) {
	return readOptional[PoolRecord](s, poolConfigFileName)
}

// WritePoolRecord writes dmctl-pool.json.
func (s *Store) WritePoolRecord(r PoolRecord) error {
	return s.writeJSON(poolConfigFileName, r)
}

// RemovePoolRecord removes dmctl-pool.json.
func (s *Store) RemovePoolRecord() error {
	return s.remove(poolConfigFileName)
}

// RemoveDeviceSet removes deviceset-metadata.
func (s *Store) RemoveDeviceSet() error {
	return s.remove(deviceSetFileName)
}

// HasState reports whether the root holds any pool state: dmctl's record,
// Docker's deviceset-metadata or loop files (a link counts: it is state
// dmctl refuses to use, not room for a new pool).
func (s *Store) HasState() (bool, error) {
	check := func(dir, name string) (bool, error) {
		d, err := s.subDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return false, nil
			}
			return false, fmt.Errorf("check pool state: %w", err)
		}
		defer d.Close()
		_, err = d.Lstat(name)
		if err == nil {
			return true, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("check pool state: %w", err)
	}
	for _, f := range [][2]string{
		{metadataDirName, poolConfigFileName}, {metadataDirName, deviceSetFileName},
		{loopDirName, dataFileName}, {loopDirName, metadataFileName},
	} {
		if has, err := check(f[0], f[1]); has || err != nil {
			return has, err
		}
	}
	return false, nil
}

// readJSON decodes the metadata file name into v.
func (s *Store) readJSON(name string, v any) error {
	d, err := s.metaDir()
	if err != nil {
		return fmt.Errorf("read %s: %w", s.deviceFile(name), err)
	}
	b, err := d.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", s.deviceFile(name), err)
	}
	return nil
}

func readOptional[T any](s *Store, name string) (T, bool, error) {
	var v T
	if err := s.readJSON(name, &v); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return v, false, nil
		}
		return v, false, err
	}
	return v, true, nil
}

// step runs the test hook before a change of the root that is not a
// state-file write (creating a loop file, for one).
func (s *Store) step(op, path string) error {
	if s.hook != nil {
		return s.hook(op, path)
	}
	return nil
}

// writeJSON replaces the metadata file name atomically with v's JSON
// (mode 0600).
func (s *Store) writeJSON(name string, v any) error {
	path := s.deviceFile(name)
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := s.step("write", path); err != nil {
		return err
	}
	d, err := s.metaDir()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := d.WriteFileAtomic(name, b, 0o600); err != nil {
		return fmt.Errorf("write %w", err)
	}
	return nil
}

// remove removes the metadata file name (a missing file is fine) and
// makes the removal durable.
func (s *Store) remove(name string) error {
	if err := s.step("remove", s.deviceFile(name)); err != nil {
		return err
	}
	d, err := s.metaDir()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", s.deviceFile(name), err)
	}
	if err := d.Remove(name); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %w", err)
	}
	return d.Sync()
}

// checkLoopFile checks that a loop pool's file (name in devicemapper/) is
// a regular file of the root, not a link.
func (s *Store) checkLoopFile(name string) error {
	d, err := s.subDir(loopDirName)
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := d.Lstat(name)
	if err != nil {
		return err
	}
	if !st.Mode.IsRegular() {
		return fmt.Errorf("loop file %s is not a regular file (a link or a device): refusing to use it", filepath.Join(d.Path(), name))
	}
	return nil
}

// createLoopFile creates a new sparse loop file of size bytes in
// devicemapper/ (mode 0600).
func (s *Store) createLoopFile(name string, size uint64) error {
	d, err := s.subDir(loopDirName)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	defer d.Close()
	f, err := d.Open(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %w", err)
	}
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return fmt.Errorf("create %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", f.Name(), err)
	}
	return nil
}

// growLoopFile lengthens a loop file of devicemapper/ to size bytes.
func (s *Store) growLoopFile(name string, size uint64) error {
	d, err := s.subDir(loopDirName)
	if err != nil {
		return err
	}
	defer d.Close()
	f, err := d.Open(name, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("grow %w", err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		return fmt.Errorf("grow %s to %d bytes: %w", f.Name(), size, err)
	}
	return nil
}

// removeLoopFile removes a loop file of devicemapper/ (a missing one is
// fine).
func (s *Store) removeLoopFile(name string) error {
	d, err := s.subDir(loopDirName)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer d.Close()
	if err := d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeDir removes the root's directory name if it is empty.
func (s *Store) removeDir(name string) error {
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.RemoveDir(name)
}

// MountPoint returns the default mount point of device id, <root>/mnt/<id>,
// making it (mode 0700) if needed; it must be a directory of the root, not
// a link.
func (s *Store) MountPoint(id string) (string, error) {
	d, err := s.subDir(mountDirName)
	if err != nil {
		return "", fmt.Errorf("mount point of %s: %w", id, err)
	}
	defer d.Close()
	if err := d.Mkdir(id, 0o700); err != nil {
		return "", fmt.Errorf("mount point of %s: %w", id, err)
	}
	sub, err := d.Sub(id)
	if err != nil {
		return "", fmt.Errorf("mount point of %s: %w", id, err)
	}
	sub.Close()
	return s.MountDir(id), nil
}

// removeEmptyMountDirs removes the empty directories of mnt/.
func (s *Store) removeEmptyMountDirs() {
	d, err := s.subDir(mountDirName)
	if err != nil {
		return
	}
	defer d.Close()
	entries, err := d.Entries()
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			d.RemoveDir(e.Name()) // only empty directories go
		}
	}
}

// ensureDir makes the root's directory name (mode 0700) if it is missing.
func (s *Store) ensureDir(name string) error {
	root, err := dmctl.OpenDir(s.root)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.Mkdir(name, 0o700)
}
