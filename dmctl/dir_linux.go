package dmctl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Dir is an open directory whose entries are read, written, locked and
// removed without following symbolic links: every name is one path
// component resolved with openat(2) and O_NOFOLLOW relative to the
// directory's descriptor, so a link planted inside it (or a directory
// swapped for one) cannot redirect an operation elsewhere. The path a Dir
// was opened with may itself go through links: that is the caller's
// choice, made once.
type Dir struct {
	f    *os.File
	path string
}

// OpenDir opens the directory at path (following links in path itself).
func OpenDir(path string) (*Dir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &Dir{f: os.NewFile(uintptr(fd), path), path: path}, nil
}

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

func (d *Dir) fd() int { return int(d.f.Fd()) }

func (d *Dir) join(name string) string { return filepath.Join(d.path, name) }

// pathErr wraps errno as an error about name, turning ELOOP (what
// O_NOFOLLOW gives for a link) into ErrSymlink.
func (d *Dir) pathErr(op, name string, err error) error {
	if errors.Is(err, unix.ELOOP) {
		err = fmt.Errorf("%w: %w", ErrSymlink, err)
	}
	return &fs.PathError{Op: op, Path: d.join(name), Err: err}
}

// Sub opens the subdirectory name, which must not be a symbolic link.
func (d *Dir) Sub(name string) (*Dir, error) {
	if err := checkFileName(d.path, name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(d.fd(), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, d.pathErr("open", name, err)
	}
	return &Dir{f: os.NewFile(uintptr(fd), d.join(name)), path: d.join(name)}, nil
}

// Mkdir makes the subdirectory name with mode perm; one that exists is
// fine (Sub then checks it is a directory and not a link).
func (d *Dir) Mkdir(name string, perm fs.FileMode) error {
	if err := checkFileName(d.path, name); err != nil {
		return err
	}
	if err := unix.Mkdirat(d.fd(), name, uint32(perm.Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
		return d.pathErr("mkdir", name, err)
	}
	return nil
}

// Open opens the regular file name with flag (os.O_* values; O_NOFOLLOW
// and O_CLOEXEC are always added) and, when it creates it, mode perm. A
// symbolic link is ErrSymlink; anything but a regular file is
// ErrNotRegular (and is never blocked on: FIFOs are opened non-blocking).
func (d *Dir) Open(name string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := checkFileName(d.path, name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(d.fd(), name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, uint32(perm.Perm()))
	if err != nil {
		return nil, d.pathErr("open", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, d.pathErr("stat", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: d.join(name), Err: ErrNotRegular}
	}
	// Regular files ignore O_NONBLOCK, but keep the descriptor plain.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, d.pathErr("open", name, err)
	}
	return os.NewFile(uintptr(fd), d.join(name)), nil
}

// ReadFile returns the content of the regular file name, with the checks
// of Open. Commands read every device file of a pool, so it makes the few
// system calls that needs (open, fstat, read to the end, close) on a
// buffer of the file's size, without an *os.File.
func (d *Dir) ReadFile(name string) ([]byte, error) {
	if err := checkFileName(d.path, name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(d.fd(), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, d.pathErr("open", name, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, d.pathErr("stat", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, &fs.PathError{Op: "open", Path: d.join(name), Err: ErrNotRegular}
	}
	// One byte more than the size, so that a file of the size it had
	// reads in one call and the next says end of file.
	buf := make([]byte, 0, max(st.Size, 0)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grown meanwhile
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, d.pathErr("read", name, err)
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// tmpSeq makes temporary names unique within the process.
var tmpSeq atomic.Uint64

// WriteFileAtomic replaces name with data (mode perm): a new temporary
// file in the directory, written and fsynced, renamed over name, and the
// directory fsynced. A link at name is replaced, never followed.
func (d *Dir) WriteFileAtomic(name string, data []byte, perm fs.FileMode) (retErr error) {
	if err := checkFileName(d.path, name); err != nil {
		return err
	}
	tmp := "." + name + ".tmp-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(tmpSeq.Add(1), 10)
	f, err := d.Open(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			f.Close()
			unix.Unlinkat(d.fd(), tmp, 0)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	// The mode asked for, whatever the umask.
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := unix.Renameat(d.fd(), tmp, d.fd(), name); err != nil {
		return d.pathErr("rename", name, err)
	}
	return d.Sync()
}

// Remove removes the file (or link) name; it never follows a link. A
// missing name is fs.ErrNotExist.
func (d *Dir) Remove(name string) error {
	if err := checkFileName(d.path, name); err != nil {
		return err
	}
	if err := unix.Unlinkat(d.fd(), name, 0); err != nil {
		return d.pathErr("remove", name, err)
	}
	return nil
}

// RemoveDir removes the empty subdirectory name.
func (d *Dir) RemoveDir(name string) error {
	if err := checkFileName(d.path, name); err != nil {
		return err
	}
	if err := unix.Unlinkat(d.fd(), name, unix.AT_REMOVEDIR); err != nil {
		return d.pathErr("remove", name, err)
	}
	return nil
}

// Lstat describes name itself (a link is described, not followed).
func (d *Dir) Lstat(name string) (FileOwner, error) {
	if err := checkFileName(d.path, name); err != nil {
		return FileOwner{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return FileOwner{}, d.pathErr("stat", name, err)
	}
	return ownerOf(&st), nil
}

// Owner describes the directory itself.
func (d *Dir) Owner() (FileOwner, error) {
	var st unix.Stat_t
	if err := unix.Fstat(d.fd(), &st); err != nil {
		return FileOwner{}, &fs.PathError{Op: "stat", Path: d.path, Err: err}
	}
	return ownerOf(&st), nil
}

// Entries lists the directory.
func (d *Dir) Entries() ([]fs.DirEntry, error) {
	// A second descriptor, so that listing does not move d's offset for
	// another listing.
	fd, err := unix.Openat(d.fd(), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	return f.ReadDir(-1)
}

// Sync flushes the directory's entries to disk.
func (d *Dir) Sync() error {
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", d.path, err)
	}
	return nil
}

// FileOwner is what ownership and permission checks need of a file.
type FileOwner struct {
	Mode fs.FileMode // type and permission bits, with setuid/setgid/sticky
	UID  uint32
	GID  uint32
}

func ownerOf(st *unix.Stat_t) FileOwner {
	m := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFREG:
	default:
		m |= fs.ModeIrregular
	}
	if st.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return FileOwner{Mode: m, UID: st.Uid, GID: st.Gid}
}

// StatOwner describes the file at path, following links.
func StatOwner(path string) (FileOwner, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return FileOwner{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return ownerOf(&st), nil
}
