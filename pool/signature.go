//go:build linux

package pool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Signature is what ProbeSignature found at the start (or end) of a
// device: a filesystem, a partition table, an LVM physical volume, and the
// other headers that say a device holds something.
type Signature struct {
	Kind string // "filesystem", "partition table", "LVM physical volume", "swap", "RAID member", "encrypted volume", "thin-pool metadata"
	Type string // "xfs", "ext4", "gpt", "dos", "LVM2_member", "linux_raid_member", "crypto_LUKS", ...
}

// String describes the signature for a message: "an xfs filesystem",
// "a gpt partition table", "an LVM physical volume label".
func (s Signature) String() string {
	switch s.Kind {
	case "filesystem", "partition table":
		what := s.Type + " " + s.Kind
		if what[0] == 'e' || what[0] == 'x' || what[0] == 'i' {
			return "an " + what
		}
		return "a " + what
	case "LVM physical volume":
		return "an LVM physical volume label"
	case "swap":
		return "a swap signature"
	case "RAID member":
		return "a Linux RAID superblock"
	case "encrypted volume":
		return "a LUKS header"
	}
	return s.Kind
}

// sigBlock is how much of the start of a device ProbeSignature reads.
const sigBlock = 68 * 1024

// ProbeSignature looks for the signatures that say a device is in use, as
// blkid and wipefs would find them, reading only the first 68 KiB and the
// last 128 KiB of the device (size bytes long): filesystems (xfs, ext2/3/4,
// btrfs, vfat, ntfs, iso9660, squashfs), partition tables (gpt, dos), LVM2
// physical volume labels, swap, Linux RAID superblocks (0.90, 1.0, 1.1,
// 1.2), LUKS headers and thin-pool metadata. ok is false when none is found.
func ProbeSignature(r io.ReaderAt, size int64) (sig Signature, ok bool, err error) {
	head := make([]byte, sigBlock)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Signature{}, false, fmt.Errorf("probe signatures: %w", err)
	}
	head = head[:n]
	if s, ok := probeHead(head); ok {
		return s, true, nil
	}
	// Signatures kept at the end: RAID 0.90 and 1.0 superblocks.
	if size >= 128*1024 {
		tailStart := size - 128*1024
		tail := make([]byte, 128*1024)
		n, err := r.ReadAt(tail, tailStart)
		if err != nil && !errors.Is(err, io.EOF) {
			return Signature{}, false, fmt.Errorf("probe signatures: %w", err)
		}
		tail = tail[:n]
		if probeRaidTail(tail, tailStart, size) {
			return Signature{Kind: "RAID member", Type: "linux_raid_member"}, true, nil
		}
	}
	return Signature{}, false, nil
}

// at reports whether b holds magic at off.
func at(b []byte, off int, magic string) bool {
	return off >= 0 && off+len(magic) <= len(b) && string(b[off:off+len(magic)]) == magic
}

// le32 reads a little-endian uint32 at off, or 0 past the end.
func le32(b []byte, off int) uint32 {
	if off < 0 || off+4 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[off:])
}

// raidMagic is the Linux md superblock magic.
const raidMagic = 0xa92b4efc

func probeHead(b []byte) (Signature, bool) {
	fs := func(t string) (Signature, bool) { return Signature{Kind: "filesystem", Type: t}, true }
	if info, err := ProbeFilesystem(bytes.NewReader(b)); err == nil {
		return fs(info.Type)
	}
	// LVM2 label: "LABELONE" at the start of one of the first four
	// sectors, "LVM2 001" 24 bytes in.
	for s := 0; s < 4; s++ {
		if at(b, s*512, "LABELONE") && at(b, s*512+24, "LVM2 001") {
			return Signature{Kind: "LVM physical volume", Type: "LVM2_member"}, true
		}
	}
	if at(b, 0, "LUKS\xba\xbe") {
		return Signature{Kind: "encrypted volume", Type: "crypto_LUKS"}, true
	}
	if le32(b, 0) == raidMagic || le32(b, 4096) == raidMagic {
		return Signature{Kind: "RAID member", Type: "linux_raid_member"}, true
	}
	if hasThinPoolMagic(b) {
		return Signature{Kind: "thin-pool metadata", Type: "thin_pool_metadata"}, true
	}
	if at(b, 0, "hsqs") {
		return fs("squashfs")
	}
	if at(b, 32769, "CD001") {
		return fs("iso9660")
	}
	for _, page := range []int{4096, 8192, 16384, 65536} {
		if at(b, page-10, "SWAPSPACE2") || at(b, page-10, "SWAP-SPACE") {
			return Signature{Kind: "swap", Type: "swap"}, true
		}
	}
	if at(b, 512, "EFI PART") || at(b, 4096, "EFI PART") {
		return Signature{Kind: "partition table", Type: "gpt"}, true
	}
	bootSig := len(b) >= 512 && b[510] == 0x55 && b[511] == 0xaa
	if bootSig && at(b, 3, "NTFS    ") {
		return fs("ntfs")
	}
	if bootSig && (at(b, 54, "FAT12   ") || at(b, 54, "FAT16   ") || at(b, 82, "FAT32   ") || at(b, 54, "FAT     ")) {
		return fs("vfat")
	}
	if bootSig && dosPartitions(b) {
		return Signature{Kind: "partition table", Type: "dos"}, true
	}
	return Signature{}, false
}

// dosPartitions reports whether a sector with the boot signature holds a
// plausible partition table: a used entry with status 0 or 0x80.
func dosPartitions(b []byte) bool {
	used := false
	for i := 0; i < 4; i++ {
		e := b[446+16*i : 446+16*(i+1)]
		if e[0] != 0 && e[0] != 0x80 {
			return false
		}
		if e[4] != 0 {
			used = true
		}
	}
	return used
}

// probeRaidTail looks for an md superblock kept at the end of a device
// of size bytes: version 0.90 at the last 64 KiB boundary minus 64 KiB,
// version 1.0 8 KiB before the end (4 KiB aligned). tail starts at byte
// tailStart of the device.
func probeRaidTail(tail []byte, tailStart, size int64) bool {
	for _, off := range []int64{(size &^ (64*1024 - 1)) - 64*1024, (size - 8*1024) &^ (4*1024 - 1)} {
		rel := off - tailStart
		if rel >= 0 && le32(tail, int(rel)) == raidMagic {
			return true
		}
	}
	return false
}
