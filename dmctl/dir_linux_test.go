package dmctl

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDirNeverFollowsLinks checks that every operation of a Dir refuses a
// link where a file or directory should be, and names that are paths.
func TestDirNeverFollowsLinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.ReadFile("link"); !errors.Is(err, ErrSymlink) {
		t.Errorf("ReadFile(link) = %v, want ErrSymlink", err)
	}
	if _, err := d.Open("link", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600); !errors.Is(err, ErrSymlink) {
		t.Errorf("Open(link, O_CREATE|O_TRUNC) = %v, want ErrSymlink", err)
	}
	if _, err := d.Sub("dirlink"); !errors.Is(err, ErrSymlink) && !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("Sub(dirlink) = %v, want a refusal", err)
	}
	if _, err := d.ReadFile("fifo"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile(fifo) = %v, want ErrNotRegular (and no hang)", err)
	}
	for _, name := range []string{"../victim", "a/b", "..", ".", ""} {
		if _, err := d.ReadFile(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("ReadFile(%q) = %v, want fs.ErrInvalid", name, err)
		}
		if err := d.Remove(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Remove(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
	// Replacing or removing the link touches the link only.
	if err := d.WriteFileAtomic("link", []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFileAtomic(link) = %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("victim = %q after WriteFileAtomic over the link, want it untouched", b)
	}
	if b, err := d.ReadFile("link"); err != nil || string(b) != "new" {
		t.Errorf("ReadFile(link) after replacing it = %q, %v", b, err)
	}
	if err := d.Remove("link"); err != nil {
		t.Errorf("Remove(link) = %v", err)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("victim after Remove: %v", err)
	}
	st, err := os.Stat(filepath.Join(root, "link"))
	if err == nil {
		t.Errorf("link still there: %v", st.Mode())
	}
}

// TestDirWriteFileAtomic checks mode, content and that no temporary file
// is left.
func TestDirWriteFileAtomic(t *testing.T) {
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	if err := d.WriteFileAtomic("f", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "f"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	entries, _ := d.Entries()
	if len(entries) != 1 {
		t.Errorf("entries = %v, want only f", entries)
	}
	o, err := d.Lstat("f")
	if err != nil || !o.Mode.IsRegular() || o.UID != uint32(os.Getuid()) {
		t.Errorf("Lstat(f) = %+v, %v", o, err)
	}
}
