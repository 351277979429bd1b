package pool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var testUUID = []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33}

const testUUIDString = "deadbeef-0123-4567-89ab-cdef00112233"

func xfsImage(uuid []byte) []byte {
	img := make([]byte, 64<<10)
	copy(img, "XFSB")
	copy(img[32:], uuid)
	return img
}

func extImage(compat, incompat, roCompat uint32, uuid []byte) []byte {
	img := make([]byte, 8<<10)
	binary.LittleEndian.PutUint16(img[0x438:], 0xef53)
	binary.LittleEndian.PutUint32(img[0x45c:], compat)
	binary.LittleEndian.PutUint32(img[0x460:], incompat)
	binary.LittleEndian.PutUint32(img[0x464:], roCompat)
	copy(img[0x468:], uuid)
	return img
}

func btrfsImage(uuid []byte) []byte {
	img := make([]byte, 0x10000+4096)
	copy(img[0x10040:], "_BHRfS_M")
	copy(img[0x10020:], uuid)
	return img
}

func TestProbeFilesystemSynthetic(t *testing.T) {
	tests := []struct {
		name string
		img  []byte
		want FSInfo
	}{
		{"xfs", xfsImage(testUUID), FSInfo{"xfs", testUUIDString}},
		{"xfs, zero uuid", xfsImage(make([]byte, 16)), FSInfo{"xfs", ""}},
		{"xfs superblock only", xfsImage(testUUID)[:512], FSInfo{"xfs", testUUIDString}},
		{"ext2", extImage(0, 0x2, 0x3, testUUID), FSInfo{"ext2", testUUIDString}},
		{"ext3", extImage(0x4|0x38, 0x2|0x4, 0x3, testUUID), FSInfo{"ext3", testUUIDString}},
		{"ext4 (extents, 64bit, flex_bg)", extImage(0x3c, 0x2|0x40|0x80|0x200, 0x46b, testUUID), FSInfo{"ext4", testUUIDString}},
		{"ext4 without journal", extImage(0, 0x2|0x40, 0x3, testUUID), FSInfo{"ext4", testUUIDString}},
		{"ext4 by ro_compat only", extImage(0x4, 0x2, 0x8, testUUID), FSInfo{"ext4", testUUIDString}},
		{"ext journal device", extImage(0, 0x8, 0, testUUID), FSInfo{"jbd", testUUIDString}},
		{"ext superblock only", extImage(0x4, 0x2, 0x3, testUUID)[:2048], FSInfo{"ext3", testUUIDString}},
		{"btrfs", btrfsImage(testUUID), FSInfo{"btrfs", testUUIDString}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ProbeFilesystem(bytes.NewReader(tc.img))
			if err != nil {
				t.Fatalf("ProbeFilesystem() error = %v, want nil", err)
			}
			if got != tc.want {
				t.Errorf("ProbeFilesystem() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestProbeFilesystemUnknown(t *testing.T) {
	for name, img := range map[string][]byte{
		"empty":          nil,
		"zeros":          make([]byte, 1<<20),
		"short":          []byte("XFS"),
		"magic too late": append(make([]byte, 1), "XFSB"...),
		"btrfs cut off":  btrfsImage(testUUID)[:0x10044],
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ProbeFilesystem(bytes.NewReader(img))
			if !errors.Is(err, ErrUnknownFilesystem) {
				t.Errorf("ProbeFilesystem() = %+v, %v, want error %v", got, err, ErrUnknownFilesystem)
			}
			if got != (FSInfo{}) {
				t.Errorf("ProbeFilesystem() = %+v, want zero FSInfo", got)
			}
		})
	}
}

type failingReader struct{ err error }

func (r failingReader) ReadAt([]byte, int64) (int, error) { return 0, r.err }

func TestProbeFilesystemReadError(t *testing.T) {
	cause := errors.New("input/output error")
	_, err := ProbeFilesystem(failingReader{cause})
	if !errors.Is(err, cause) {
		t.Errorf("ProbeFilesystem(failing reader) error = %v, want it to wrap %v", err, cause)
	}
}

// TestProbeFilesystemReal makes small images with the mkfs programs of the
// host (the part for a missing program is skipped) and compares the result
// with blkid's when blkid is installed.
func TestProbeFilesystemReal(t *testing.T) {
	tests := []struct {
		name string
		mkfs string
		args []string
		size int64
		want string
	}{
		{"xfs", "mkfs.xfs", []string{"-q", "-f"}, 300 << 20, "xfs"}, // 300 MiB: the smallest xfs mkfs.xfs 5.19+ makes
		{"ext4", "mkfs.ext4", []string{"-q", "-F"}, 16 << 20, "ext4"},
		{"ext4 without journal", "mkfs.ext4", []string{"-q", "-F", "-O", "^has_journal"}, 16 << 20, "ext4"},
		{"ext3", "mkfs.ext3", []string{"-q", "-F"}, 16 << 20, "ext3"},
		{"ext2", "mkfs.ext2", []string{"-q", "-F"}, 16 << 20, "ext2"},
		{"journal device", "mke2fs", []string{"-q", "-F", "-O", "journal_dev", "-b", "4096"}, 16 << 20, "jbd"},
		{"btrfs", "mkfs.btrfs", []string{"-q", "-f"}, 128 << 20, "btrfs"},
	}
	blkid, blkidErr := exec.LookPath("blkid")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mkfs, err := exec.LookPath(tc.mkfs)
			if err != nil {
				t.Skipf("%s not installed", tc.mkfs)
			}
			img := filepath.Join(t.TempDir(), "fs.img")
			if err := os.WriteFile(img, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(img, tc.size); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(mkfs, append(tc.args, img)...).CombinedOutput(); err != nil {
				t.Fatalf("%s %s: %v\n%s", tc.mkfs, img, err, out)
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ProbeFilesystem(f)
			if err != nil {
				t.Fatalf("ProbeFilesystem(%s image) error = %v", tc.mkfs, err)
			}
			if got.Type != tc.want || len(got.UUID) != 36 {
				t.Errorf("ProbeFilesystem(%s image) = %+v, want type %q and a UUID", tc.mkfs, got, tc.want)
			}
			if blkidErr != nil {
				t.Logf("blkid not installed; UUID %s not cross-checked", got.UUID)
				return
			}
			for tag, want := range map[string]string{"UUID": got.UUID, "TYPE": got.Type} {
				out, err := exec.Command(blkid, "-p", "-s", tag, "-o", "value", img).Output()
				if err != nil {
					t.Fatalf("blkid -p -s %s %s: %v", tag, img, err)
				}
				if b := strings.TrimSpace(string(out)); b != want {
					t.Errorf("ProbeFilesystem(%s image) %s = %q, blkid says %q", tc.mkfs, tag, want, b)
				}
			}
		})
	}
}

func FuzzProbeFilesystem(f *testing.F) {
	f.Add(xfsImage(testUUID)[:4096])
	f.Add(extImage(0x4, 0x2|0x40, 0x3, testUUID)[:2048])
	f.Add(extImage(0, 0x8, 0, testUUID)[:2048])
	f.Add([]byte{})
	f.Add(btrfsImage(testUUID)) // large enough to reach the btrfs superblock
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ProbeFilesystem(bytes.NewReader(data))
		if err != nil {
			if info != (FSInfo{}) {
				t.Fatalf("ProbeFilesystem() = %+v, %v, want zero FSInfo with the error", info, err)
			}
			return
		}
		if info.Type == "" || (info.UUID != "" && len(info.UUID) != 36) {
			t.Fatalf("ProbeFilesystem() = %+v, want a type and an empty or 36-character UUID", info)
		}
	})
}
