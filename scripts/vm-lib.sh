# shellcheck shell=bash
# vm-lib.sh: functions shared by the dmctl QEMU scripts (vm-kernel, vm-initramfs,
# vmexec, vmrun). Source it; it defines functions, VM_PROG (the calling
# script's name, used in messages) and VM_EXIT_VMFAIL, and adds the sbin
# directories to PATH (modinfo, mke2fs live there; non-root PATHs lack them).
#
# Environment understood by the scripts that source it:
#   DMCTL_VM_CACHE    cache directory (default: <repo>/.cache/vm)
#   DMCTL_VM_TIMEOUT  host-side limit for one guest run, in timeout(1) syntax
#                     (default: 20m)
#   DMCTL_VM_KVM=1    use KVM (-accel kvm -cpu host) instead of TCG
#   DMCTL_VM_MEM      guest memory in MiB (default: 2048)
#   DMCTL_VM_SMP      guest CPUs (default: 2)
#   DMCTL_VM_TMPDIR   TMPDIR for the guest payload (default /var/tmp, the
#                     ext4 scratch disk; /tmp is tmpfs)
#   DMCTL_VM_DEBUG=1  boot with the kernel log on the console and copy what
#                     the console shows outside the payload to stderr (the
#                     payload's own output may then interleave with kernel
#                     messages)

VM_PROG=${0##*/}
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# Exit status used when the guest itself failed (no exit marker: kernel
# panic, host timeout, QEMU error), as opposed to the payload failing.
VM_EXIT_VMFAIL=97

vm_log() {
	printf '%s: %s\n' "$VM_PROG" "$*" >&2
}

vm_die() {
	vm_log "$*"
	exit 1
}

# vm_repo prints the repository root (the parent of scripts/).
vm_repo() {
	local d
	d=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P) || return 1
	printf '%s\n' "$d"
}

# vm_cache prints the cache directory, creating it.
vm_cache() {
	local d=${DMCTL_VM_CACHE:-}
	if [[ -z $d ]]; then
		d="$(vm_repo)/.cache/vm" || return 1
	fi
	mkdir -p "$d" || return 1
	(cd "$d" && pwd -P)
}

# vm_lock FILE takes an exclusive lock on FILE for the rest of the calling
# shell's life (file descriptor 9), so concurrent runs do not build the same
# cache entry twice.
vm_lock() {
	exec 9>"$1" || return 1
	flock 9
}

# vm_ancestors PATH prints every ancestor directory of the absolute PATH
# without the leading slash, outermost first (for cpio lists rooted at /).
vm_ancestors() {
	local p=${1#/} acc='' part
	local -a parts
	[[ $p == */* ]] || return 0
	IFS=/ read -r -a parts <<<"${p%/*}"
	for part in "${parts[@]}"; do
		[[ -n $part ]] || continue
		acc=${acc:+$acc/}$part
		printf '%s\n' "$acc"
	done
}

# vm_with_libs FILE prints FILE and, when it is dynamically linked, every
# shared library it needs (plus the targets of symlinked libraries), all as
# absolute host paths whose directories are canonical. Paths through /lib,
# /lib64 and other merged-/usr symlinks become /usr/... paths, which the
# guest resolves through its own /lib -> usr/lib style links.
vm_with_libs() {
	local f=$1 line lib dir
	printf '%s\n' "$f"
	# ldd fails on static binaries ("not a dynamic executable").
	ldd "$f" >/dev/null 2>&1 || return 0
	while IFS= read -r line; do
		case $line in
		*'=> /'*) lib=${line#*=> }; lib=${lib%% (*} ;;
		[[:space:]]/*) lib=${line#"${line%%[![:space:]]*}"}; lib=${lib%% (*} ;;
		*) continue ;;
		esac
		[[ -e $lib ]] || continue
		dir=$(cd "$(dirname "$lib")" && pwd -P) || continue
		printf '%s\n' "$dir/${lib##*/}"
		if [[ -L $lib ]]; then
			readlink -f "$lib"
		fi
	done < <(ldd "$f" 2>/dev/null)
}

# vm_list_program FILE prints, relative to / for a cpio list, the program
# FILE (an absolute canonical path) and the shared libraries it needs, each
# after its ancestor directories.
vm_list_program() {
	local p
	while IFS= read -r p; do
		vm_ancestors "$p"
		printf '%s\n' "${p#/}"
	done < <(vm_with_libs "$1")
}

# vm_token prints a random token that marks the guest's output boundaries.
vm_token() {
	local t
	t=$(cat /proc/sys/kernel/random/uuid 2>/dev/null) || t=$RANDOM$RANDOM$RANDOM$$
	printf '%s\n' "${t//-/}"
}

# vm_env_exports prints "export NAME=VALUE" lines (bash-quoted) for the host
# variables a guest payload inherits: DMCTL_* (except the DMCTL_VM_* knobs
# of these scripts), GOTRACEBACK and GODEBUG.
vm_env_exports() {
	local v
	while IFS= read -r v; do
		case $v in
		DMCTL_VM_*) continue ;;
		DMCTL_* | GOTRACEBACK | GODEBUG) printf 'export %s=%q\n' "$v" "${!v}" ;;
		esac
	done < <(compgen -e)
	if [[ -n ${DMCTL_VM_TMPDIR:-} ]]; then
		printf 'export TMPDIR=%q\n' "$DMCTL_VM_TMPDIR"
	fi
}

# vm_list_tree [--filter] PATH prints PATH's ancestors and, for a directory,
# everything below it, relative to /, for a cpio list. --filter skips .git
# and .cache directories, PATH/bin, *.test binaries and files over 64 MiB
# (for copying a whole source tree).
vm_list_tree() {
	local filter=0 p
	if [[ $1 == --filter ]]; then
		filter=1
		shift
	fi
	p=$1
	vm_ancestors "$p"
	if ((filter)); then
		find "$p" \( -name .git -o -name .cache -o -path "$p/bin" -o -name '*.test' \) -prune -o \
			-type f -size +65536k -prune -o \( -type d -o -type f -o -type l \) -print
	else
		find "$p" \( -type d -o -type f -o -type l \) -print
	fi | sed 's|^/||'
}

# vm_boot DIR TOKEN boots the guest with the payload prepared in DIR and
# exits with the payload's status. DIR holds:
#   stage/      files laid out as in the guest (at least payload/run)
#   host.list   host paths (relative to /, ancestors first) copied in as they
#               are at the same absolute path
# The guest's /init prints "@@DMCTL-VM-BEGIN:TOKEN@@" before the payload and
# "@@DMCTL-VM-EXIT:TOKEN:STATUS@@" after it; only what lies between reaches
# stdout, live. Without an exit marker the VM itself failed: the console tail
# goes to stderr and the status is VM_EXIT_VMFAIL.
vm_boot() {
	local dir=$1 token=$2 scripts kernel base scratch
	scripts=$(dirname "${BASH_SOURCE[0]}")
	base=$("$scripts/vm-initramfs") || exit "$VM_EXIT_VMFAIL"
	scratch=$(dirname "$base")/scratch.img
	kernel=$("$scripts/vm-kernel") || exit "$VM_EXIT_VMFAIL"
	printf '%s\n' "$token" >"$dir/stage/payload/token"

	# The kernel unpacks concatenated cpio archives in order.
	{
		cat "$base"
		(cd "$dir/stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
		awk '!seen[$0]++' "$dir/host.list" | (cd / && cpio -o -H newc -R 0:0 --quiet)
	} >"$dir/initrd" || {
		vm_log "build the guest's initrd failed"
		exit "$VM_EXIT_VMFAIL"
	}

	# Two fresh sparse disks: /dev/vda and /dev/vdb in the guest.
	truncate -s 4G "$dir/vda.img" "$dir/vdb.img"

	# The kernel stays quiet on the console unless debugging: its log is
	# readable in the guest through /dev/kmsg anyway.
	local quiet="quiet loglevel=1"
	if [[ ${DMCTL_VM_DEBUG:-0} == 1 ]]; then
		quiet="loglevel=7"
	fi
	local -a accel=(-accel "tcg,thread=multi" -cpu max)
	if [[ ${DMCTL_VM_KVM:-0} == 1 ]]; then
		accel=(-accel kvm -cpu host)
	fi
	# no_timer_check: under software emulation on a loaded host the
	# kernel's IO-APIC timer check can time out and panic at boot ("IO-APIC
	# + timer doesn't work"); virtual machines skip it.
	local -a qemu=(
		qemu-system-x86_64 "${accel[@]}"
		-smp "${DMCTL_VM_SMP:-2}" -m "${DMCTL_VM_MEM:-2048}"
		-nographic -no-reboot -nic none
		-kernel "$kernel/vmlinuz" -initrd "$dir/initrd"
		-append "console=ttyS0 $quiet panic=-1 8250.nr_uarts=1 i8042.noaux no_timer_check"
		-drive "file=$dir/vda.img,format=raw,if=virtio,cache=unsafe"
		-drive "file=$dir/vdb.img,format=raw,if=virtio,cache=unsafe"
		-drive "file=$scratch,format=raw,if=virtio,cache=unsafe,snapshot=on"
	)
	local limit=${DMCTL_VM_TIMEOUT:-20m}

	# mawk reads a pipe in blocks unless told to work line by line.
	local -a awk=(awk)
	if awk -W version 2>/dev/null | grep -q mawk; then
		awk=(awk -W interactive)
	fi

	mkfifo "$dir/console"
	# shellcheck disable=SC2016 # the awk program is meant literally
	"${awk[@]}" -v B="@@DMCTL-VM-BEGIN:$token@@" -v E="@@DMCTL-VM-EXIT:$token:" \
		-v status="$dir/status" -v logf="$dir/console.log" -v debug="${DMCTL_VM_DEBUG:-0}" '
		{ print > logf }
		state == 1 {
			i = index($0, E)
			if (i) {
				printf "%s", substr($0, 1, i - 1)
				rc = substr($0, i + length(E)); sub(/@@.*/, "", rc)
				print rc + 0 > status; close(status)
				state = 2
			} else {
				sub(/\r$/, ""); print
			}
			fflush()
			next
		}
		debug == 1 { print > "/dev/stderr"; fflush("/dev/stderr") }
		state == 0 && index($0, B) { state = 1 }
		END { close(logf) }
	' <"$dir/console" &
	local apid=$!
	# QEMU keeps the scratch disk's overlay (snapshot=on) in TMPDIR.
	TMPDIR=$dir timeout -k 10 "$limit" "${qemu[@]}" </dev/null >"$dir/console" 2>"$dir/qemu.err" &
	local qpid=$! qrc=0 signalled=
	# go test (or a user) may signal us: stop the guest, then report.
	trap 'signalled=1; kill -TERM "$qpid" 2>/dev/null' INT TERM HUP QUIT
	while :; do
		wait "$qpid" && qrc=0 || qrc=$?
		kill -0 "$qpid" 2>/dev/null || break
	done
	wait "$apid" || true
	trap - INT TERM HUP QUIT

	if [[ -s $dir/status ]]; then
		exit "$(<"$dir/status")"
	fi
	# From here on report, whatever fails.
	set +e
	local why="no exit marker from the guest"
	case $qrc in
	124 | 137) why="timed out after $limit (DMCTL_VM_TIMEOUT)" ;;
	0) why="the guest stopped without an exit marker (kernel panic or init failure)" ;;
	*) why="qemu exited with status $qrc" ;;
	esac
	if [[ -n $signalled ]]; then
		why="interrupted by a signal"
	fi
	{
		printf '%s: the VM failed: %s\n' "$VM_PROG" "$why"
		if [[ -s $dir/qemu.err ]]; then
			printf -- '--- qemu stderr ---\n'
			tail -n 20 "$dir/qemu.err"
		fi
		if [[ -s $dir/console.log ]]; then
			printf -- '--- last console lines ---\n'
			tail -n 40 "$dir/console.log" | tr -d '\r'
		fi
	} >&2
	exit "$VM_EXIT_VMFAIL"
}
