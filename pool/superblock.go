//go:build linux

package pool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dmctl/dmctl/pool/thinmeta"
)

// thinPoolMagic is the magic number of a thin-pool metadata superblock, a
// little-endian u64 at byte 32 of block 0.
const (
	thinPoolMagic    = 27022010
	thinPoolMagicOff = 32
	metadataHeader   = 4096 // bytes zeroed on fresh metadata
)

// hasThinPoolMagic reports whether block (the start of a metadata device)
// carries a thin-pool superblock's magic number. It does not check the
// checksum: a damaged superblock still means the device holds a pool.
func hasThinPoolMagic(block []byte) bool {
	if len(block) < thinPoolMagicOff+8 {
		return false
	}
	return binary.LittleEndian.Uint64(block[thinPoolMagicOff:]) == thinPoolMagic
}

// readMetadataHeader reads the first metadata block of a device or file.
// A file shorter than a block reads as zeros past its end.
func readMetadataHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read metadata superblock: %w", err)
	}
	defer f.Close()
	b := make([]byte, metadataHeader)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read metadata superblock of %s: %w", path, err)
	}
	return b, nil
}

// metadataBlockSectors returns the data block size (in sectors) recorded in
// a formatted metadata superblock; ok is false when block holds no valid
// superblock.
func metadataBlockSectors(block []byte) (sectors uint64, ok bool) {
	if !hasThinPoolMagic(block) {
		return 0, false
	}
	sb, err := thinmeta.ParseSuperblock(block, 0)
	if err != nil || sb.DataBlockSize == 0 {
		return 0, false
	}
	return uint64(sb.DataBlockSize), true
}

// zeroMetadataHeader zeroes the first metadata block, so that the kernel
// formats fresh metadata when the pool is created.
func zeroMetadataHeader(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("zero metadata superblock: %w", err)
	}
	if _, err := f.WriteAt(make([]byte, metadataHeader), 0); err != nil {
		f.Close()
		return fmt.Errorf("zero metadata superblock of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("zero metadata superblock of %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("zero metadata superblock of %s: %w", path, err)
	}
	return nil
}

// validSuperblock reports whether block holds a thin-pool superblock that
// dmctl's reader accepts (magic, checksum, version).
func validSuperblock(block []byte) bool {
	_, err := thinmeta.ParseSuperblock(block, 0)
	return err == nil
}

// allZero reports whether b holds only zero bytes: the kernel formats
// metadata whose superblock block reads so.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkMetadataBeforeLoad reads the superblock at the start of the
// metadata device (or file) source, with dmctl's own reader, before a
// pool table is loaded over it. The kernel formats metadata whose first
// block is all zeros without a word, so loading a table over a zeroed or
// lost superblock of a pool that has thin devices would silently replace
// them all with an empty pool. When the root's state records thin devices,
// the superblock must therefore be valid, and its transaction id must not
// be older than the device files (metadata restored from an older copy,
// or another pool's, would lose the devices made since). Otherwise the
// load is refused with what to do. A root that records no device yet (a
// pool create interrupted before its base device) may be formatted.
func (p *Pool) checkMetadataBeforeLoad(source string, head []byte) error {
	devs, err := p.store.Devices()
	if err != nil {
		return err
	}
	if len(devs) == 0 {
		return nil
	}
	sb, perr := thinmeta.ParseSuperblock(head, 0)
	switch {
	case perr != nil && allZero(head):
		return fmt.Errorf("pool %s: the metadata on %s has no superblock (its first block is all zeros), but %d device files under %s name thin devices: "+
			"loading the pool would format empty metadata and lose them all; restore the metadata (thin_repair, or thin_restore from a backup) and activate again: %w",
			p.names.Pool, source, len(devs), p.store.MetadataDir(), ErrMetadataMissing)
	case perr != nil:
		return fmt.Errorf("pool %s: the metadata superblock on %s is damaged (%v): check it with thin_check and repair it with thin_repair before activating: %w",
			p.names.Pool, source, perr, ErrMetadataMissing)
	}
	verify := verifyMetadata
	if p.env.verifyMetadata != nil {
		verify = p.env.verifyMetadata
	}
	if err := verify(source); err != nil {
		return fmt.Errorf("pool %s: the metadata on %s is damaged (%v): dmctl does not load damaged metadata; check it with thin_check and repair it with thin_repair: %w",
			p.names.Pool, source, err, ErrMetadataMissing)
	}
	want, newest := recordedTransaction(devs, p.pendingTransaction())
	if sb.TransactionID < want {
		return fmt.Errorf("pool %s: the metadata on %s is at transaction %d, older than device file %s (transaction %d): "+
			"it was restored from an older copy or belongs to another pool, and loading it would lose the devices made since; "+
			"restore the matching metadata (thin_repair), or see dmctl check: %w",
			p.names.Pool, source, sb.TransactionID, filepath.Join(p.store.MetadataDir(), newest), want, ErrMetadataMissing)
	}
	return nil
}

// pendingTransaction returns the open transaction, if transaction-metadata
// can be read.
func (p *Pool) pendingTransaction() *Transaction {
	t, ok, err := p.store.ReadTransaction()
	if err != nil || !ok {
		return nil
	}
	return &t
}

// recordedTransaction returns the newest pool transaction the device files
// say was committed, and the file that says so. A device the open
// transaction t was creating may be one ahead of the pool (its file is
// written before the transaction id moves), so it does not count.
func recordedTransaction(devs []DeviceMeta, t *Transaction) (uint64, string) {
	var want uint64
	var newest string
	for _, d := range devs {
		txn := d.TransactionID
		if t != nil && d.ID == t.ID() && d.DeviceID == t.DeviceID && txn == t.OpenTransactionID {
			txn--
		}
		if txn > want {
			want, newest = txn, d.ID
		}
	}
	return want, newest
}

// zeroPoolMetadata zeroes the superblock of a direct pool's metadata
// device when it is gone, but only if the device holds thin-pool metadata:
// the path comes from the pool record, and dmctl zeroes nothing that it
// cannot see is a thin pool's metadata.
func zeroPoolMetadata(path string) error {
	head, err := readMetadataHeader(path)
	if err != nil {
		return err
	}
	if !hasThinPoolMagic(head) {
		if allZero(head) {
			return nil
		}
		return fmt.Errorf("metadata device %s holds no thin-pool metadata: not zeroing it", path)
	}
	return zeroMetadataHeader(path)
}

// verifyMetadata walks the metadata on source with dmctl's own reader, as
// LVM runs thin_check before it activates a pool: every device's details
// and mapping tree and the data space map, with every block's checksum.
// Metadata that lost writes (a failing or flakey device) fails here
// rather than in the kernel, where it would fail the pool later.
func verifyMetadata(source string) error {
	f, err := thinmeta.OpenDevice(source)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Usage(); err != nil {
		return err
	}
	sm, err := f.DataSpaceMap()
	if err != nil {
		return err
	}
	return sm.FreeRuns(func(_, _ uint64) error { return nil })
}
