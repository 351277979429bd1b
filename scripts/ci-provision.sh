#!/usr/bin/env bash
# ci-provision.sh: provision a dmctl thin pool for later CI steps.
#
# Usage: scripts/ci-provision.sh ROOT [POOL CREATE OPTIONS...]
#   e.g. scripts/ci-provision.sh /var/tmp/ci-pool --data-size 20G --fs ext4
#
# Creates a loop pool (sparse files under ROOT/devicemapper) with the given
# `dmctl pool create` options, or activates the pool ROOT already holds,
# and prints what later steps need as KEY=VALUE lines on standard output
# (append them to $GITHUB_ENV or source them):
#   DMCTL_ROOT=...         the pool root (pass as --root or keep in the env)
#   DMCTL_POOL=...         the pool's device-mapper name
#   DMCTL_PREFIX=...       the start of its thin devices' names
#   DMCTL_BASE_DEVICE=...  the base device's node, /dev/mapper/<prefix>-base
#                          (activated; it holds the pool's empty filesystem)
# Progress goes to standard error. Needs root and device-mapper; the dmctl
# binary is $DMCTL (default: dmctl on PATH).
set -euo pipefail

dmctl=${DMCTL:-dmctl}

if (($# < 1)) || [[ $1 == -h || $1 == --help ]]; then
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	(($# > 0)) && exit 0
	exit 2
fi
root=$1
shift
mkdir -p "$root"
root=$(cd "$root" && pwd -P)

# pool create and pool activate print "Key: value" lines (Pool, Mode,
# Root, Prefix, Base Device).
if [[ $("$dmctl" --root "$root" --output json pool ls) == "[]" ]]; then
	echo "ci-provision: creating a loop pool in $root" >&2
	out=$("$dmctl" --root "$root" pool create "$@")
else
	(($# == 0)) || echo "ci-provision: $root already has a pool; ignoring create options" >&2
	echo "ci-provision: activating the pool in $root" >&2
	out=$("$dmctl" --root "$root" pool activate)
fi

# Later steps get a live base device node (snapshots of an active origin
# are taken with it briefly suspended).
"$dmctl" --root "$root" activate base >/dev/null

field() {
	local v
	v=$(sed -n "s/^$1: //p" <<<"$out")
	[[ -n $v ]] || {
		echo "ci-provision: no \"$1\" in dmctl's output:" >&2
		echo "$out" >&2
		exit 1
	}
	printf '%s\n' "$v"
}

printf 'DMCTL_ROOT=%s\n' "$root"
printf 'DMCTL_POOL=%s\n' "$(field Pool)"
printf 'DMCTL_PREFIX=%s\n' "$(field Prefix)"
printf 'DMCTL_BASE_DEVICE=%s\n' "$(field 'Base Device')"
