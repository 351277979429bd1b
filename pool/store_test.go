package pool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerFixture copies testdata/dockerroot (metadata files byte for byte
// as Docker's driver wrote them) into a new root with empty loop files.
func dockerFixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("testdata", "dockerroot", "metadata")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"metadata", "devicemapper", "mnt"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "metadata", e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []struct {
		name string
		size int64
	}{{"data", 64 << 20}, {"metadata", 8 << 20}} {
		if err := os.WriteFile(filepath.Join(root, "devicemapper", f.name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(root, "devicemapper", f.name), f.size); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	fixtureLayer = "5d8e6a1c0f1b2e3d4c5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d"
	fixtureInit  = "9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9-init"
	fixtureGone  = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"
	fixtureUUID  = "3c6a1e5e-8f0b-4a6f-9d2b-2f6f4b1d7c10"
)

func TestStoreReadsDockerRoot(t *testing.T) {
	s := NewStore(dockerFixture(t))
	devs, err := s.Devices()
	if err != nil {
		t.Fatalf("Devices() = %v", err)
	}
	var ids []string
	for _, d := range devs {
		ids = append(ids, d.ID)
	}
	want := []string{fixtureGone, fixtureLayer, fixtureInit, "base"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("Devices() ids = %q, want %q", ids, want)
	}
	base, err := s.ReadDevice("base")
	wantBase := DeviceMeta{ID: "base", DeviceID: 1, Size: 10 << 30, TransactionID: 1, Initialized: true}
	if err != nil || base != wantBase {
		t.Errorf("ReadDevice(base) = %+v, %v, want %+v", base, err, wantBase)
	}
	gone, _ := s.ReadDevice(fixtureGone)
	if !gone.Deleted || gone.DeviceID != 4 {
		t.Errorf("ReadDevice(deleted) = %+v, want device 4 marked deleted", gone)
	}
	ds, ok, err := s.ReadDeviceSet()
	if err != nil || !ok || ds != (DeviceSetMeta{NextDeviceID: 4, BaseDeviceUUID: fixtureUUID, BaseDeviceFilesystem: "xfs"}) {
		t.Errorf("ReadDeviceSet() = %+v, %v, %v", ds, ok, err)
	}
	tx, ok, err := s.ReadTransaction()
	if err != nil || !ok || tx.OpenTransactionID != 4 || tx.DeviceID != 4 || tx.ID() != fixtureGone {
		t.Errorf("ReadTransaction() = %+v, %v, %v", tx, ok, err)
	}
	if _, ok, err := s.ReadPoolRecord(); ok || err != nil {
		t.Errorf("ReadPoolRecord() on a Docker root = %v, %v, want absent", ok, err)
	}
	if has, err := s.HasState(); !has || err != nil {
		t.Errorf("HasState() = %v, %v, want true", has, err)
	}
}

func TestStoreRewritesDockerFilesUnchanged(t *testing.T) {
	root := dockerFixture(t)
	s := NewStore(root)
	for _, id := range []string{"base", fixtureLayer, fixtureGone} {
		before, _ := os.ReadFile(filepath.Join(root, "metadata", id))
		m, err := s.ReadDevice(id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteDevice(m); err != nil {
			t.Fatal(err)
		}
		after, _ := os.ReadFile(filepath.Join(root, "metadata", id))
		if string(after) != string(before) {
			t.Errorf("WriteDevice(ReadDevice(%s)) wrote %s, want %s", id, after, before)
		}
	}
	for _, name := range []string{deviceSetFileName, transactionFileName} {
		before, _ := os.ReadFile(filepath.Join(root, "metadata", name))
		var err error
		switch name {
		case deviceSetFileName:
			ds, _, _ := s.ReadDeviceSet()
			err = s.WriteDeviceSet(ds)
		default:
			tx, _, _ := s.ReadTransaction()
			err = s.WriteTransaction(tx)
		}
		if err != nil {
			t.Fatal(err)
		}
		after, _ := os.ReadFile(filepath.Join(root, "metadata", name))
		if string(after) != string(before) {
			t.Errorf("rewrite of %s = %s, want %s", name, after, before)
		}
	}
}

func TestStoreDmctlFields(t *testing.T) {
	s := NewStore(t.TempDir())
	if _, err := s.Init(true); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := DeviceMeta{ID: "web", DeviceID: 7, Size: 1 << 30, TransactionID: 9, Origin: "base", CreatedAt: at}
	if err := s.WriteDevice(m); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(s.MetadataDir(), "web"))
	want := `{"device_id":7,"size":1073741824,"transaction_id":9,"initialized":false,"deleted":false,"origin":"base","created_at":"2026-01-02T03:04:05Z"}`
	if string(b) != want {
		t.Errorf("WriteDevice wrote %s, want %s", b, want)
	}
	got, err := s.ReadDevice("web")
	if err != nil || got != m {
		t.Errorf("ReadDevice(web) = %+v, %v, want %+v", got, err, m)
	}
	fi, _ := os.Stat(filepath.Join(s.MetadataDir(), "web"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("device file mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(s.MetadataDir())
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if err := s.RemoveDevice("web"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveDevice("web"); err != nil {
		t.Errorf("RemoveDevice of a missing file = %v, want nil", err)
	}
	if _, err := s.ReadDevice("web"); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("ReadDevice(removed) = %v, want ErrDeviceNotFound", err)
	}
}

func TestStoreDevicesSkipsAndFails(t *testing.T) {
	s := NewStore(t.TempDir())
	if _, err := s.Init(false); err != nil {
		t.Fatal(err)
	}
	dir := s.MetadataDir()
	for name, body := range map[string]string{
		"a":                 `{"device_id":2,"size":512,"transaction_id":1,"initialized":false,"deleted":false}`,
		deviceSetFileName:   `{"next_device_id":2}`,
		transactionFileName: `{"open_transaction_id":1,"device_hash":"a","device_id":2}`,
		poolConfigFileName:  `{"version":1}`,
		".dmctl.lock":       "123\n",
		".a.tmp-123":        "partial",
		"json.migrated":     "{}",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600)
	}
	os.Mkdir(filepath.Join(dir, "subdir"), 0o700)
	devs, err := s.Devices()
	if err != nil || len(devs) != 1 || devs[0].ID != "a" {
		t.Errorf("Devices() = %+v, %v, want only a", devs, err)
	}
	os.WriteFile(filepath.Join(dir, "broken"), []byte("{"), 0o600)
	if _, err := s.Devices(); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("Devices() with a corrupt file = %v, want an error naming it", err)
	}
}

func TestStoreHook(t *testing.T) {
	s := NewStore(t.TempDir())
	if _, err := s.Init(false); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	s.hook = func(op, path string) error { return stop }
	if err := s.WriteDevice(DeviceMeta{ID: "x"}); !errors.Is(err, stop) {
		t.Errorf("WriteDevice with a failing hook = %v, want stop", err)
	}
	if _, err := s.ReadDevice("x"); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("file written despite the hook: %v", err)
	}
}
