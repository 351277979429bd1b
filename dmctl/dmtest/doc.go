// Package dmtest helps tests reach a real device-mapper kernel.
//
// Kernel tests call [Require] first: it skips the test unless the process
// is root and device-mapper (with the named targets) is reachable. When the
// environment has DMCTL_REQUIRE_KERNEL=1 (scripts/vmexec sets it in its QEMU
// guest) every such skip becomes a failure instead, so a broken guest cannot
// pass by skipping everything.
//
// Device-mapper names are global to the kernel, so every test names its
// devices with the prefix [Name] returns; the devices are removed when the
// test ends. [LoopFile] attaches a sparse file to a loop device for the
// duration of a test, and [Dmsetup] runs dmsetup as a test oracle.
//
// Run kernel tests by hand with
//
//	make vmtest
//	go test -exec $PWD/scripts/vmexec -run TestX ./dmctl
package dmtest
