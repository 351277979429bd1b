// Package thinmeta reads the on-disk metadata of a device-mapper thin pool
// (dm-thin), in pure Go and read-only.
//
// The metadata device is an array of 4096-byte blocks. Block 0 holds the
// superblock; everything else hangs off the roots it names:
//
//   - the device-details btree: thin id → mapped blocks, transaction id,
//     creation time, snapshot time;
//   - the two-level mapping btree: thin id → (btree of virtual block →
//     data block and 24-bit time);
//   - the data space map: an index btree of bitmap blocks (2 bits per data
//     block: 0, 1, 2 or "look in the ref-count btree") and a ref-count btree
//     for counts above 2;
//   - the metadata space map: the same, but with a single index block instead
//     of an index btree;
//   - optionally a metadata snapshot (reserve_metadata_snap): a copy of the
//     superblock whose trees the kernel keeps intact while the pool runs.
//
// The format is the one written by the kernel's drivers/md/dm-thin-metadata.c
// and drivers/md/persistent-data/ and by thin-provisioning-tools. All
// integers are little-endian. Every block carries a crc32c (Castagnoli)
// checksum over bytes 4..4096, computed as the kernel's dm_bm_checksum does
// (seed 0xffffffff, no final inversion) and XORed with a per-kind salt.
//
// # Safety
//
// Every block is verified before use: its checksum, its self-recorded block
// number, and for btree nodes the header bounds, key order, key ranges,
// uniform leaf depth and value size. Every pointer is checked against the
// device size, each tree walk refuses to visit a node twice (so cycles and
// shared nodes inside one tree are reported, not followed), and trees deeper
// than a fixed limit are rejected. Corrupt or truncated input yields an error
// that matches [ErrCorrupt]; no input makes the reader panic or allocate
// memory out of proportion to the blocks it actually read.
//
// # Cost
//
// Only blocks reachable from the roots are read, one at a time, through a
// small LRU cache; walks take callbacks, so a pool with millions of mappings
// is never held in memory. A [Metadata] is safe for concurrent use.
//
// # Live pools
//
// The kernel rewrites the metadata device while a pool is active, and blocks
// freed by one commit may be reused by the next. Read a live pool only
// through its metadata snapshot ([Metadata.Snapshot] after the pool was sent
// reserve_metadata_snap), or read an inactive pool. A snapshot carries no
// space maps (the kernel wipes their roots in the copy).
package thinmeta
