package pool

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

func TestParseMountinfoLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want MountinfoEntry
	}{
		{
			name: "proc(5) example",
			in:   "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
			want: MountinfoEntry{ID: 36, ParentID: 35, Dev: dmctl.MakeDev(98, 0), Root: "/mnt1", MountPoint: "/mnt/parent",
				Options: "rw,noatime", Optional: []string{"master:1"}, FSType: "ext3", Source: "/dev/root", SuperOptions: "rw,errors=continue"},
		},
		{
			name: "no optional fields",
			in:   "22 27 0:21 / /proc rw,relatime - proc proc rw",
			want: MountinfoEntry{ID: 22, ParentID: 27, Dev: dmctl.MakeDev(0, 21), Root: "/", MountPoint: "/proc",
				Options: "rw,relatime", FSType: "proc", Source: "proc", SuperOptions: "rw"},
		},
		{
			name: "two optional fields, thin device",
			in:   "40 27 253:3 / /mnt/abc rw,relatime shared:20 master:3 - xfs /dev/mapper/docker-253:1-1048612-abc rw,nouuid",
			want: MountinfoEntry{ID: 40, ParentID: 27, Dev: dmctl.MakeDev(253, 3), Root: "/", MountPoint: "/mnt/abc",
				Options: "rw,relatime", Optional: []string{"shared:20", "master:3"}, FSType: "xfs",
				Source: "/dev/mapper/docker-253:1-1048612-abc", SuperOptions: "rw,nouuid"},
		},
		{
			name: "escaped space, tab, newline and backslash",
			in:   `41 27 253:3 /a\134b /srv/my\040data\011x\012 rw - xfs /dev/x\040y rw`,
			want: MountinfoEntry{ID: 41, ParentID: 27, Dev: dmctl.MakeDev(253, 3), Root: `/a\b`, MountPoint: "/srv/my data\tx\n",
				Options: "rw", FSType: "xfs", Source: "/dev/x y", SuperOptions: "rw"},
		},
		{
			name: "empty source",
			in:   "42 27 0:45 / /tmp/t rw,nosuid - tmpfs  rw,size=1024k",
			want: MountinfoEntry{ID: 42, ParentID: 27, Dev: dmctl.MakeDev(0, 45), Root: "/", MountPoint: "/tmp/t",
				Options: "rw,nosuid", FSType: "tmpfs", SuperOptions: "rw,size=1024k"},
		},
		{
			name: "root and mount point named -",
			in:   "5 1 8:1 - - rw - ext4 /dev/sda1 rw",
			want: MountinfoEntry{ID: 5, ParentID: 1, Dev: dmctl.MakeDev(8, 1), Root: "-", MountPoint: "-",
				Options: "rw", FSType: "ext4", Source: "/dev/sda1", SuperOptions: "rw"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMountinfoLine(tc.in)
			if err != nil {
				t.Fatalf("ParseMountinfoLine(%q) error = %v, want nil", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseMountinfoLine(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseMountinfoLineErrors(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"empty", "", "want 6 fields"},
		{"no separator", "22 27 0:21 / /proc rw,relatime proc proc rw", "want 6 fields"},
		{"nothing after separator", "22 27 0:21 / /proc rw -", "want 6 fields"},
		{"no super options", "22 27 0:21 / /proc rw - proc proc", "want 6 fields"},
		{"separator too early", "22 27 0:21 / - rw proc proc rw", "want 6 fields"},
		{"bad id", "x 27 0:21 / /proc rw - proc proc rw", "bad mount id"},
		{"negative parent", "22 -1 0:21 / /proc rw - proc proc rw", "bad parent id"},
		{"bad dev", "22 27 021 / /proc rw - proc proc rw", "MAJOR:MINOR"},
		{"bad escape", `22 27 0:21 / /pr\0oc rw - proc proc rw`, `mount point: bad escape`},
		{"escape out of range", `22 27 0:21 / /pr\777 rw - proc proc rw`, `mount point: bad escape`},
		{"truncated escape", `22 27 0:21 / /pr\04 rw - proc proc rw`, `mount point: truncated escape`},
		{"bad source escape", `22 27 0:21 / /proc rw - proc pr\ocx rw`, `source: bad escape`},
		{"empty root", "22 27 0:21  /proc rw - proc proc rw", "empty root"},
		{"empty type", "22 27 0:21 / /proc rw -  proc rw", "empty root, mount point or filesystem type"},
		{"empty options", "22 27 0:21 / /proc  - proc proc rw", "empty mount options"},
		{"empty optional field", "22 27 0:21 / /proc rw  shared:1 - proc proc rw", "optional field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMountinfoLine(tc.in)
			if err == nil {
				t.Fatalf("ParseMountinfoLine(%q) = %+v, want error containing %q", tc.in, got, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseMountinfoLine(%q) error = %q, want it to contain %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func TestParseMountinfoFile(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "mountinfo_sample"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseMountinfo(f)
	if err != nil {
		t.Fatalf("ParseMountinfo(mountinfo_sample) error = %v", err)
	}
	var points []string
	for _, e := range got {
		points = append(points, e.MountPoint)
	}
	want := []string{
		"/proc", "/sys", "/", "/mnt/parent", "/var/lib/docker/devicemapper/mnt/abc", "/srv/my data",
		"/tmp/empty\tsource", "/var/lib/docker/overlay2/x/merged", `/mnt/back\slash`,
	}
	if !reflect.DeepEqual(points, want) {
		t.Errorf("ParseMountinfo(mountinfo_sample) mount points = %q, want %q", points, want)
	}
	if src := got[len(got)-1].Source; src != "user@host:/a b" {
		t.Errorf("ParseMountinfo(mountinfo_sample) last source = %q, want %q", src, "user@host:/a b")
	}
}

func TestParseMountinfoBadLine(t *testing.T) {
	in := "22 27 0:21 / /proc rw,relatime - proc proc rw\ngarbage\n"
	if got, err := ParseMountinfo(strings.NewReader(in)); err == nil {
		t.Errorf("ParseMountinfo(%q) = %+v, want error", in, got)
	}
}

func TestParseMountinfoSelf(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	defer f.Close()
	got, err := ParseMountinfo(f)
	if err != nil {
		t.Fatalf("ParseMountinfo(/proc/self/mountinfo) error = %v", err)
	}
	if len(got) == 0 {
		t.Fatalf("ParseMountinfo(/proc/self/mountinfo) = no entries, want some")
	}
}

// writeFile creates path (and its directories) with content.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMountPoints(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "mountinfo_sample"))
	if err != nil {
		t.Fatal(err)
	}
	proc := t.TempDir()
	writeFile(t, filepath.Join(proc, "self", "mountinfo"), string(sample))
	tests := []struct {
		dev  dmctl.Dev
		want []string
	}{
		{dmctl.MakeDev(253, 3), []string{"/var/lib/docker/devicemapper/mnt/abc", "/srv/my data"}},
		{dmctl.MakeDev(253, 1), []string{"/"}},
		{dmctl.MakeDev(253, 4), nil},
	}
	for _, tc := range tests {
		got, err := mountPoints(proc, tc.dev)
		if err != nil {
			t.Errorf("mountPoints(%s) error = %v", tc.dev, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("mountPoints(%s) = %q, want %q", tc.dev, got, tc.want)
		}
	}
	if got, err := mountPoints(t.TempDir(), dmctl.MakeDev(1, 1)); err == nil {
		t.Errorf("mountPoints(empty tree) = %q, want error", got)
	}
	// The table read once answers as the scan for one device does.
	mounts, err := readMounts(proc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		if got := mounts.Of(tc.dev); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("readMounts().Of(%s) = %q, want %q", tc.dev, got, tc.want)
		}
	}
	if got, err := readMounts(t.TempDir()); err == nil {
		t.Errorf("readMounts(empty tree) = %v, want error", got)
	}
}

func TestMountPointsSelf(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	entries, err := ParseMountinfo(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	got, err := MountPoints(e.Dev)
	if err != nil {
		t.Fatalf("MountPoints(%s) error = %v", e.Dev, err)
	}
	found := false
	for _, p := range got {
		found = found || p == e.MountPoint
	}
	if !found {
		t.Errorf("MountPoints(%s) = %q, want it to contain %q", e.Dev, got, e.MountPoint)
	}
}

// escapeMountinfo escapes s the way the kernel writes mountinfo paths.
func escapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\\':
			b.WriteString(`\` + strconv.FormatInt(int64(c)|0o1000, 8)[1:])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// formatMountinfo renders e as a mountinfo line.
func formatMountinfo(e MountinfoEntry) string {
	f := []string{strconv.Itoa(e.ID), strconv.Itoa(e.ParentID), e.Dev.String(),
		escapeMountinfo(e.Root), escapeMountinfo(e.MountPoint), e.Options}
	f = append(f, e.Optional...)
	f = append(f, "-", escapeMountinfo(e.FSType), escapeMountinfo(e.Source), e.SuperOptions)
	return strings.Join(f, " ")
}

func FuzzParseMountinfo(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("testdata", "mountinfo_sample"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(sample))
	for _, line := range strings.Split(string(sample), "\n") {
		f.Add(line)
	}
	f.Add(`41 27 253:3 /a\134b /srv/my\040data\011x\012 rw - xfs /dev/x\040y rw`)
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = ParseMountinfo(strings.NewReader(in))
		e, err := ParseMountinfoLine(in)
		if err != nil {
			return
		}
		line := formatMountinfo(e)
		again, err := ParseMountinfoLine(line)
		if err != nil {
			t.Fatalf("ParseMountinfoLine(%q) error = %v after a round trip of %q", line, err, in)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("ParseMountinfoLine(%q) = %+v, want %+v (round trip of %q)", line, again, e, in)
		}
	})
}
