package dmctl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// Host benchmarks of what dmctl does around each ioctl: laying out the
// request and decoding the reply. make bench reports them; under the
// kernel, bench_kernel_test.go times the ioctls themselves.

// dockerNames returns n devices named as Docker named them (a 64-hex id
// after the pool prefix), as the kernel lists them.
func dockerNames(n int) []kernelName {
	out := make([]kernelName, n)
	for i := range out {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		out[i] = kernelName{name: "docker-253:1-1048612-" + hex.EncodeToString(sum[:]),
			dev: MakeDev(253, uint32(i+1)), eventNr: uint32(i)}
	}
	return out
}

func BenchmarkDecodeNameList(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		data := kernelNameList(dockerNames(n), true)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeNameList(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeTargets(b *testing.B) {
	cases := []struct {
		name    string
		targets []Target
	}{
		{"thin", []Target{{0, 20971520, "thin", "0 -"}}},
		{"thin-pool", []Target{{0, 209715200, "thin-pool", "1 419/524288 0/1638400 - rw discard_passdown queue_if_no_space - 1024"}}},
		{"linear-x16", func() []Target {
			var t []Target
			for i := range 16 {
				t = append(t, Target{uint64(i) * 2048, 2048, "linear", fmt.Sprintf("7:%d 0", i)})
			}
			return t
		}()},
	}
	for _, tc := range cases {
		data := kernelStatus(tc.targets)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeTargets(data, uint32(len(tc.targets))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeReply(b *testing.B) {
	name := dockerNames(1)[0].name
	info := DeviceInfo{Name: name, Dev: MakeDev(253, 7), TargetCount: 1, Flags: FlagActivePresent}
	buf := kernelReply(info, Version{4, 47, 0}, kernelStatus([]Target{{0, 2048, "thin", "0 -"}}), replyBufferSize)
	b.Run("same-name", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeReplyFor(buf, name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("other-name", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeReplyFor(buf, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRequestBuffer is what Control.run does around one status
// ioctl of a thin device: take a buffer, lay out the request, decode the
// header and the targets, give the buffer back.
func BenchmarkRequestBuffer(b *testing.B) {
	c := &Control{fd: -1}
	name := dockerNames(1)[0].name
	r := &request{cmd: unix.DM_TABLE_STATUS, op: "status", name: name, sizing: sizeReply}
	reply := kernelReply(DeviceInfo{Name: name, TargetCount: 1}, Version{4, 47, 0},
		kernelStatus([]Target{{0, 2048, "thin", "0 -"}}), replyBufferSize)
	b.ReportAllocs()
	for b.Loop() {
		w, buf := c.getBuffer(r.initialSize(0))
		encodeInto(buf, r)
		copy(buf, reply) // what the kernel writes back
		rep, err := decodeReplyFor(buf, r.name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeTargets(rep.data, rep.info.TargetCount); err != nil {
			b.Fatal(err)
		}
		c.putBuffer(w, buf, len(r.payload))
	}
}

func BenchmarkEncodeTargets(b *testing.B) {
	targets := []Target{{0, 20971520, "thin", "253:0 42"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeTargets(targets); err != nil {
			b.Fatal(err)
		}
	}
}
