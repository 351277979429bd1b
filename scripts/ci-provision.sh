#!/usr/bin/env bash
# ci-provision.sh: provision a dmctl thin pool for later CI steps.
#
# Usage: scripts/ci-provision.sh [--env] ROOT [POOL CREATE OPTIONS...]
#   e.g. scripts/ci-provision.sh /var/tmp/ci-pool --data-size 20G --fs ext4
#        eval "$(scripts/ci-provision.sh /var/tmp/ci-pool)"
#        scripts/ci-provision.sh --env /var/tmp/ci-pool >>"$GITHUB_ENV"
#
# Creates a loop pool (sparse files under ROOT/devicemapper) with the given
# `dmctl pool create` options, or activates the pool ROOT already holds,
# activates its base device, and prints what later steps need, one
# variable a line, quoted for the shell (source or eval them), or with
# --env as plain KEY=VALUE lines (GitHub Actions' $GITHUB_ENV, which takes
# no quotes; a value with a newline is refused):
#   DMCTL_ROOT=...         the pool root (pass as --root or keep in the env)
#   DMCTL_POOL=...         the pool's device-mapper name
#   DMCTL_PREFIX=...       the start of its thin devices' names
#   DMCTL_BASE_DEVICE=...  the base device's node, /dev/mapper/<prefix>-base
#                          (activated; it holds the pool's empty filesystem)
# Progress goes to standard error. Any failing step stops the script with
# a message on standard error, exit status 1, and nothing on standard
# output. dmctl's output is read only in its script forms (-o ...
# --noheadings --separator), never its tables for people. Needs root and
# device-mapper; the dmctl binary is $DMCTL (default: dmctl on PATH).
set -euo pipefail

dmctl=${DMCTL:-dmctl}
# The script reads dmctl's table forms: an exported DMCTL_OUTPUT=json must
# not change them.
unset DMCTL_OUTPUT

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; }
die() {
	echo "ci-provision: $*" >&2
	exit 1
}

env_form=false
if [[ ${1:-} == --env ]]; then
	env_form=true
	shift
fi
if (($# < 1)) || [[ $1 == -h || $1 == --help ]]; then
	usage
	(($# > 0)) && exit 0
	exit 2
fi
root=$1
shift
mkdir -p "$root" || die "cannot make $root"
root=$(cd "$root" && pwd -P) || die "cannot enter $root"

# pool_fields prints the root's pool (pool ls) as NAME<tab>PREFIX<tab>BASE
# DEVICE, or nothing when the root holds no pool.
pool_fields() {
	"$dmctl" --root "$root" pool ls -o pool,prefix,base_device --noheadings --separator $'\t'
}

fields=$(pool_fields) || die "dmctl pool ls failed in $root"
if [[ -z $fields ]]; then
	echo "ci-provision: creating a loop pool in $root" >&2
	"$dmctl" --quiet --root "$root" pool create "$@" || die "dmctl pool create $* failed in $root"
else
	(($# == 0)) || echo "ci-provision: $root already has a pool; ignoring create options" >&2
	echo "ci-provision: activating the pool in $root" >&2
	"$dmctl" --quiet --root "$root" pool activate || die "dmctl pool activate failed in $root"
fi
# Later steps get a live base device node (snapshots of an active origin
# are taken with it briefly suspended).
"$dmctl" --quiet --root "$root" activate base || die "dmctl activate base failed in $root"

fields=$(pool_fields) || die "dmctl pool ls failed in $root"
IFS=$'\t' read -r pool prefix base <<<"$fields" || true
[[ -n $pool && -n $prefix && -n $base && $fields != *$'\n'* ]] ||
	die "dmctl pool ls in $root printed ${fields@Q}, want one pool with its name, prefix and base device"
[[ -b $base ]] || die "the base device $base is not a block device"

lines=()
add() {
	if $env_form; then
		[[ $2 != *$'\n'* ]] || die "$1 holds a newline: it cannot go in an env file"
		lines+=("$1=$2")
	else
		# Single quotes, with each ' as '\'': safe for source and eval.
		lines+=("$1='${2//\'/\'\\\'\'}'")
	fi
}
add DMCTL_ROOT "$root"
add DMCTL_POOL "$pool"
add DMCTL_PREFIX "$prefix"
add DMCTL_BASE_DEVICE "$base"
printf '%s\n' "${lines[@]}"
