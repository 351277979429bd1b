package pool

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// sigImage returns a zeroed 1 MiB image with set applied.
func sigImage(set func(b []byte)) []byte {
	b := make([]byte, 1<<20)
	set(b)
	return b
}

func TestProbeSignature(t *testing.T) {
	dos := func(b []byte) {
		b[510], b[511] = 0x55, 0xaa
		b[446+4] = 0x83 // a Linux partition
	}
	tests := []struct {
		name string
		img  []byte
		want Signature
		ok   bool
	}{
		{"empty", make([]byte, 1<<20), Signature{}, false},
		{"xfs", sigImage(func(b []byte) { copy(b, "XFSB") }), Signature{"filesystem", "xfs"}, true},
		{"ext4", sigImage(func(b []byte) { copy(b, extImage(0x3c, 0x2|0x40, 0x46b, testUUID)) }), Signature{"filesystem", "ext4"}, true},
		{"btrfs", sigImage(func(b []byte) { copy(b, btrfsImage(testUUID)) }), Signature{"filesystem", "btrfs"}, true},
		{"LVM2 label in sector 1", sigImage(func(b []byte) { copy(b[512:], "LABELONE"); copy(b[512+24:], "LVM2 001") }),
			Signature{"LVM physical volume", "LVM2_member"}, true},
		{"LABELONE without LVM2", sigImage(func(b []byte) { copy(b[512:], "LABELONE") }), Signature{}, false},
		{"gpt", sigImage(func(b []byte) { dos(b); copy(b[512:], "EFI PART") }), Signature{"partition table", "gpt"}, true},
		{"dos", sigImage(dos), Signature{"partition table", "dos"}, true},
		{"boot signature, no partitions", sigImage(func(b []byte) { b[510], b[511] = 0x55, 0xaa }), Signature{}, false},
		{"vfat", sigImage(func(b []byte) { b[510], b[511] = 0x55, 0xaa; copy(b[82:], "FAT32   ") }), Signature{"filesystem", "vfat"}, true},
		{"ntfs", sigImage(func(b []byte) { b[510], b[511] = 0x55, 0xaa; copy(b[3:], "NTFS    ") }), Signature{"filesystem", "ntfs"}, true},
		{"swap", sigImage(func(b []byte) { copy(b[4096-10:], "SWAPSPACE2") }), Signature{"swap", "swap"}, true},
		{"luks", sigImage(func(b []byte) { copy(b, "LUKS\xba\xbe") }), Signature{"encrypted volume", "crypto_LUKS"}, true},
		{"raid 1.2", sigImage(func(b []byte) { binary.LittleEndian.PutUint32(b[4096:], raidMagic) }), Signature{"RAID member", "linux_raid_member"}, true},
		{"raid 0.90 at the end", sigImage(func(b []byte) {
			binary.LittleEndian.PutUint32(b[len(b)-64*1024:], raidMagic)
		}), Signature{"RAID member", "linux_raid_member"}, true},
		{"thin-pool metadata", sigImage(func(b []byte) { binary.LittleEndian.PutUint64(b[thinPoolMagicOff:], thinPoolMagic) }),
			Signature{"thin-pool metadata", "thin_pool_metadata"}, true},
		{"iso9660", sigImage(func(b []byte) { copy(b[32769:], "CD001") }), Signature{"filesystem", "iso9660"}, true},
		{"squashfs", sigImage(func(b []byte) { copy(b, "hsqs") }), Signature{"filesystem", "squashfs"}, true},
		{"tiny device", []byte("XFSB"), Signature{"filesystem", "xfs"}, true},
	}
	for _, tc := range tests {
		got, ok, err := ProbeSignature(bytes.NewReader(tc.img), int64(len(tc.img)))
		if err != nil || ok != tc.ok || got != tc.want {
			t.Errorf("%s: ProbeSignature = %+v, %v, %v; want %+v, %v", tc.name, got, ok, err, tc.want, tc.ok)
		}
	}
}

func TestSignatureString(t *testing.T) {
	for _, tc := range []struct {
		s    Signature
		want string
	}{
		{Signature{"filesystem", "xfs"}, "an xfs filesystem"},
		{Signature{"filesystem", "ext4"}, "an ext4 filesystem"},
		{Signature{"partition table", "gpt"}, "a gpt partition table"},
		{Signature{"LVM physical volume", "LVM2_member"}, "an LVM physical volume label"},
		{Signature{"swap", "swap"}, "a swap signature"},
		{Signature{"thin-pool metadata", "thin_pool_metadata"}, "thin-pool metadata"},
		{Signature{"filesystem", "iso9660"}, "an iso9660 filesystem"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func FuzzProbeSignature(f *testing.F) {
	f.Add([]byte("XFSB"), int64(4))
	f.Add(sigImage(func(b []byte) { copy(b[512:], "LABELONE"); copy(b[512+24:], "LVM2 001") })[:4096], int64(1<<20))
	f.Add(make([]byte, 600), int64(1<<30))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		if size < 0 {
			size = -size
		}
		ProbeSignature(bytes.NewReader(b), size) // must not panic, whatever the bytes and size
	})
}
