//go:build linux

package pool

import "errors"

// Errors a caller may want to tell apart. Errors that come from the kernel
// keep their errno too, so errors.Is(err, syscall.EBUSY) also works.
var (
	// ErrPoolNotFound means the root holds no pool.
	ErrPoolNotFound = errors.New("no pool")
	// ErrPoolExists means a pool already exists where one was to be made.
	ErrPoolExists = errors.New("pool already exists")
	// ErrPoolInactive means the pool's device-mapper device is not loaded.
	ErrPoolInactive = errors.New("pool is not active")
	// ErrDeviceNotFound means no thin device has that id.
	ErrDeviceNotFound = errors.New("no such thin device")
	// ErrDeviceExists means a thin device with that id already exists.
	ErrDeviceExists = errors.New("thin device already exists")
	// ErrInUse means a device is mounted or held open.
	ErrInUse = errors.New("device is in use")
	// ErrLocked means another dmctl holds the root's lock.
	ErrLocked = errors.New("pool root is locked")
	// ErrNoSpace means the pool has less free space than the configured
	// minimum.
	ErrNoSpace = errors.New("thin pool is low on free space")
	// ErrVerification means the base device no longer has the filesystem
	// recorded when it was made.
	ErrVerification = errors.New("base device verification failed")
	// ErrMetadataMissing means the pool's metadata device lacks the
	// superblock the root's state needs (zeroed, damaged or older than
	// the device files): the pool is not loaded over it.
	ErrMetadataMissing = errors.New("pool metadata is missing or does not match the state")
	// ErrAmbiguousState means two device files claim one thin id: nothing
	// is changed until one of them is fixed.
	ErrAmbiguousState = errors.New("ambiguous pool state")
	// ErrMetadataSnapHeld means the pool's one metadata snapshot is held
	// by a program other than dmctl, so dmctl cannot read its thin ids
	// online.
	ErrMetadataSnapHeld = errors.New("metadata snapshot held by another program")
	// ErrPoolMode means the pool's mode (read-only, out of data space,
	// failed) keeps it from doing what was asked.
	ErrPoolMode = errors.New("pool cannot do this in its current mode")
	// ErrReadOnly means the pool was opened without the lock and cannot
	// be changed.
	ErrReadOnly = errors.New("pool opened read-only")
)
