//go:build linux

// Package pool builds and runs device-mapper thin pools the way Docker's
// devicemapper storage driver did, so that a root it left behind keeps
// working and a pool made here looks like one of Docker's.
//
// # Layout
//
// A pool belongs to a root directory (by default /var/lib/dmctl), laid out
// as Docker's driver home:
//
//	<root>/devicemapper/data         sparse data file (loop pools)
//	<root>/devicemapper/metadata     sparse metadata file (loop pools)
//	<root>/metadata/<id>             one JSON file per thin device ("base" for the base device)
//	<root>/metadata/deviceset-metadata
//	<root>/metadata/transaction-metadata
//	<root>/metadata/dmctl-pool.json  dmctl's own record of how the pool was made
//	<root>/metadata/.dmctl.lock      the root's lock: exclusive for changes, shared for reads; notes of kernel state to undo
//	<root>/metadata/.dmctl.msnap.lock  serialises users of the pool's metadata snapshot
//	<root>/mnt/<id>                  default mount points
//
// Device-mapper names follow Docker's: the prefix is
// "docker-MAJ:MIN-INO" from stat(2) of the root (see [DevicePrefix]), the
// pool is "<prefix>-pool", the base device "<prefix>-base" and every other
// device "<prefix>-<id>".
//
// # Kernel access
//
// The pool talks to the kernel only through two small interfaces, [DM]
// (satisfied by *dmctl.Control) and [System] (loop, block, mount and mkfs
// helpers; [HostSystem] is the real one), so that everything here can be
// tested without root against fakes.
//
// # Transactions
//
// Every change of the pool's thin ids is a transaction as in Docker's
// driver (see txn.go): a transaction-metadata file is written first, the
// pool's transaction id is bumped with set_transaction_id last, and an
// interrupted transaction is finished or rolled back at the start of the
// next mutating command, so that a kill at any point leaks no thin id and
// loses no device.
//
// # Safety
//
// Every name under a root is reached without following symbolic links,
// and a root another user could change is refused (rootsafety.go); two
// device files claiming one thin id stop every change (owners.go);
// metadata that is zeroed, damaged or older than the device files is
// never loaded (superblock.go); what a killed command left suspended,
// half made or held is undone by the next command of any kind
// (stalled.go); SIGINT and SIGTERM wait for suspended devices to resume
// (interrupt.go); a pool's mode is named in every refusal it causes
// (modes.go).
package pool
