package dmctl

import (
	"errors"

	"golang.org/x/sys/unix"
)

// DataMap tells which ranges of a sparse file hold data (SEEK_DATA and
// SEEK_HOLE): what punching holes in them would give back.
type DataMap struct {
	fd   int
	path string
}

// OpenDataMap opens file for DataMap queries.
func OpenDataMap(file string) (*DataMap, error) {
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Op: "open", Device: file, Err: err}
	}
	return &DataMap{fd: fd, path: file}, nil
}

// Close closes the file.
func (m *DataMap) Close() error { return unix.Close(m.fd) }

// DataBytes returns how many bytes of [offset, offset+length) hold data,
// that is are not holes.
func (m *DataMap) DataBytes(offset, length uint64) (uint64, error) {
	var n uint64
	pos, end := int64(offset), int64(offset+length)
	for pos < end {
		data, err := unix.Seek(m.fd, pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) { // no data after pos
			break
		}
		if err != nil {
			return n, &Error{Op: "seek data", Device: m.path, Err: err}
		}
		if data >= end {
			break
		}
		hole, err := unix.Seek(m.fd, data, unix.SEEK_HOLE)
		if err != nil {
			return n, &Error{Op: "seek hole", Device: m.path, Err: err}
		}
		n += uint64(min(hole, end) - data)
		pos = hole
	}
	return n, nil
}
