package thinmeta

import (
	"errors"
	"fmt"
)

// ErrCorrupt matches (with errors.Is) every error caused by metadata that
// fails validation: bad checksum, bad magic, wrong block number, out-of-range
// pointer, misordered keys, cycles, truncated device.
var ErrCorrupt = errors.New("corrupt thin metadata")

// ErrChecksum matches the subset of [ErrCorrupt] errors caused by a block
// whose checksum does not match its contents.
var ErrChecksum = errors.New("metadata checksum mismatch")

// ErrNoDevice is returned when a thin device id is not in the metadata.
var ErrNoDevice = errors.New("no such thin device")

// ErrNoMetadataSnap is returned by [Metadata.Snapshot] when the superblock
// holds no metadata snapshot.
var ErrNoMetadataSnap = errors.New("no metadata snapshot held")

// ErrNoSpaceMap is returned when space-map information is asked of a
// metadata snapshot: the kernel does not keep space maps in the copy.
var ErrNoSpaceMap = errors.New("metadata snapshot has no space maps")

// CorruptError describes metadata that failed validation. It matches
// [ErrCorrupt], and [ErrChecksum] when the checksum was at fault.
type CorruptError struct {
	Block  uint64 // metadata block where the problem was found
	What   string // kind of block or structure, e.g. "btree node"
	Reason string // what is wrong
	Err    error  // underlying cause, if any (e.g. io.ErrUnexpectedEOF)

	checksum bool
}

// Error describes the problem: kind of block, block number, reason.
func (e *CorruptError) Error() string {
	s := fmt.Sprintf("%s at block %d: %s", e.What, e.Block, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause, if any.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt, or ErrChecksum for a checksum
// failure.
func (e *CorruptError) Is(target error) bool {
	return target == ErrCorrupt || (e.checksum && target == ErrChecksum)
}

func corruptf(block uint64, what, format string, args ...any) error {
	return &CorruptError{Block: block, What: what, Reason: fmt.Sprintf(format, args...)}
}
