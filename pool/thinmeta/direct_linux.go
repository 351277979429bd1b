package thinmeta

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// openDirect opens path with O_DIRECT, falling back to a plain open where
// the file system refuses it.
func openDirect(path string) (*directReader, *os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		if !errors.Is(err, syscall.EINVAL) {
			return nil, nil, err
		}
		if f, err = os.Open(path); err != nil {
			return nil, nil, err
		}
		return &directReader{f: f, plain: true}, f, nil
	}
	return &directReader{f: f, align: -1}, f, nil
}

// directReader reads whole metadata blocks from an O_DIRECT file. O_DIRECT
// wants the memory aligned to the device's logical block size; Go gives no
// aligned allocation, so the reader finds, once, an offset into a two-block
// buffer at which the kernel accepts the read.
type directReader struct {
	f     *os.File
	plain bool // not opened with O_DIRECT

	mu    sync.Mutex
	buf   []byte
	align int // offset into buf that reads work at; -1 until found
}

func (d *directReader) ReadAt(p []byte, off int64) (int, error) {
	if d.plain {
		return d.f.ReadAt(p, off)
	}
	if len(p) != BlockSize || off%BlockSize != 0 {
		return 0, fmt.Errorf("read %d bytes at %d: direct reads take whole aligned blocks", len(p), off)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buf == nil {
		d.buf = make([]byte, 2*BlockSize)
	}
	if d.align >= 0 {
		n, err := d.f.ReadAt(d.buf[d.align:d.align+BlockSize], off)
		copy(p, d.buf[d.align:d.align+n])
		return n, err
	}
	for a := 0; a < BlockSize; a += 512 {
		n, err := d.f.ReadAt(d.buf[a:a+BlockSize], off)
		if errors.Is(err, syscall.EINVAL) {
			continue
		}
		d.align = a
		copy(p, d.buf[a:a+n])
		return n, err
	}
	return 0, fmt.Errorf("read block at %d with O_DIRECT: no buffer alignment accepted: %w", off, syscall.EINVAL)
}
