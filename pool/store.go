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

// Store reads and writes the state files under a pool root. Every write is
// atomic: a temporary file in the same directory, fsync, rename, fsync of
// the directory; removals fsync the directory too.
type Store struct {
	root string
	// hook, when set, runs before every change of a file; tests use it to
	// stop an operation at any step.
	hook func(op, path string) error
}

// NewStore returns the store of the pool rooted at root.
func NewStore(root string) *Store { return &Store{root: root} }

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

// Init creates the root and its directories (mode 0700, as Docker did).
// It returns the directories it created, parents first, so that a failed
// create can leave the root as it found it.
func (s *Store) Init(loop bool) (created []string, err error) {
	dirs := []string{s.root, s.MetadataDir(), filepath.Join(s.root, mountDirName)}
	if loop {
		dirs = append(dirs, filepath.Join(s.root, loopDirName))
	}
	for _, d := range dirs {
		err := os.Mkdir(d, 0o700)
		switch {
		case err == nil:
			created = append(created, d)
		case errors.Is(err, fs.ErrExist):
		case errors.Is(err, fs.ErrNotExist) && d == s.root:
			if err := os.MkdirAll(d, 0o700); err != nil {
				return created, fmt.Errorf("create pool directory: %w", err)
			}
			created = append(created, d)
		default:
			return created, fmt.Errorf("create pool directory: %w", err)
		}
	}
	return created, nil
}

// Uninit removes what Init created (directories that are empty but for
// the lock file), children first.
func (s *Store) Uninit(created []string) error {
	var errs []error
	for i := len(created) - 1; i >= 0; i-- {
		d := created[i]
		if d == s.MetadataDir() {
			if err := os.Remove(s.LockFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove pool directory: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ReadDevice reads one device's JSON file. A missing file is
// ErrDeviceNotFound.
func (s *Store) ReadDevice(id string) (DeviceMeta, error) {
	var m DeviceMeta
	if err := readJSON(s.deviceFile(id), &m); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return DeviceMeta{}, fmt.Errorf("device %s: %w", id, ErrDeviceNotFound)
		}
		return DeviceMeta{}, err
	}
	m.ID = id
	return m, nil
}

// WriteDevice writes a device's JSON file.
func (s *Store) WriteDevice(m DeviceMeta) error {
	return s.writeJSON(s.deviceFile(m.ID), m)
}

// RemoveDevice removes a device's JSON file; a missing file is not an
// error.
func (s *Store) RemoveDevice(id string) error { return s.remove(s.deviceFile(id)) }

// Devices reads every device's JSON file, sorted by id. Files that are
// not device files (Docker's and dmctl's other state, hidden and
// temporary files, directories) are skipped; a device file that cannot be
// read is an error, because its thin id would otherwise be reused.
func (s *Store) Devices() ([]DeviceMeta, error) {
	entries, err := os.ReadDir(s.MetadataDir())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read pool metadata: %w", err)
	}
	var out []DeviceMeta
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, migratedSuffix) ||
			name == deviceSetFileName || name == transactionFileName || name == poolConfigFileName {
			continue
		}
		m, err := s.ReadDevice(name)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// ReadDeviceSet reads deviceset-metadata; ok is false when it is missing.
func (s *Store) ReadDeviceSet() (m DeviceSetMeta, ok bool, err error) {
	return readOptional[DeviceSetMeta](filepath.Join(s.MetadataDir(), deviceSetFileName))
}

// WriteDeviceSet writes deviceset-metadata.
func (s *Store) WriteDeviceSet(m DeviceSetMeta) error {
	return s.writeJSON(filepath.Join(s.MetadataDir(), deviceSetFileName), m)
}

// ReadTransaction reads transaction-metadata; ok is false when it is
// missing.
func (s *Store) ReadTransaction() (t Transaction, ok bool, err error) {
	return readOptional[Transaction](filepath.Join(s.MetadataDir(), transactionFileName))
}

// WriteTransaction writes transaction-metadata.
func (s *Store) WriteTransaction(t Transaction) error {
	return s.writeJSON(filepath.Join(s.MetadataDir(), transactionFileName), t)
}

// RemoveTransaction removes transaction-metadata.
func (s *Store) RemoveTransaction() error {
	return s.remove(filepath.Join(s.MetadataDir(), transactionFileName))
}

// ReadPoolRecord reads dmctl-pool.json; ok is false when it is missing.
func (s *Store) ReadPoolRecord() (r PoolRecord, ok bool, err error) {
	return readOptional[PoolRecord](filepath.Join(s.MetadataDir(), poolConfigFileName))
}

// WritePoolRecord writes dmctl-pool.json.
func (s *Store) WritePoolRecord(r PoolRecord) error {
	return s.writeJSON(filepath.Join(s.MetadataDir(), poolConfigFileName), r)
}

// RemovePoolRecord removes dmctl-pool.json.
func (s *Store) RemovePoolRecord() error {
	return s.remove(filepath.Join(s.MetadataDir(), poolConfigFileName))
}

// HasState reports whether the root holds any pool state: dmctl's record,
// Docker's deviceset-metadata or loop files.
func (s *Store) HasState() (bool, error) {
	for _, p := range []string{
		filepath.Join(s.MetadataDir(), poolConfigFileName),
		filepath.Join(s.MetadataDir(), deviceSetFileName),
		s.DataFile(), s.MetadataFile(),
	} {
		_, err := os.Lstat(p)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("check pool state: %w", err)
		}
	}
	return false, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

func readOptional[T any](path string) (T, bool, error) {
	var v T
	if err := readJSON(path, &v); err != nil {
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

// writeJSON replaces path atomically with v's JSON (mode 0600).
func (s *Store) writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := s.step("write", path); err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

func writeFileAtomic(path string, b []byte) (retErr error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if retErr != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: fsync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

// remove removes path (a missing file is fine) and makes the removal
// durable.
func (s *Store) remove(path string) error {
	if err := s.step("remove", path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}
