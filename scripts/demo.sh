#!/usr/bin/env bash
# demo.sh: a thin pool's life as Docker's devicemapper driver lived it,
# told with dmctl. Runs as root where device-mapper is (make demo runs it in
# a QEMU guest with dmctl on PATH). The pool lives in a fresh root under
# $TMPDIR (default /var/tmp): sparse files, so the default 100 GB of data
# cost nothing. Every command is echoed before it runs.
set -euo pipefail

run() {
	printf '+ %s\n' "$*"
	"$@"
}

root=$(mktemp -d "${TMPDIR:-/var/tmp}/dmctl-demo.XXXXXX")
cleanup() {
	dmctl pool destroy --yes --force >/dev/null 2>&1 || true
	rm -rf "$root"
}
trap cleanup EXIT
printf '+ export DMCTL_ROOT=%s\n' "$root"
export DMCTL_ROOT=$root

echo
echo '# A pool on sparse loop files, with Docker'"'"'s defaults, and its docker info section.'
run dmctl version
run dmctl pool create
run dmctl pool ls
run dmctl info

echo
echo '# An image layer from the base device, a container from the image.'
run dmctl snapshot create image
run dmctl snapshot create container --origin image
printf '+ dmctl mount container\n'
mnt=$(dmctl mount container)
echo "$mnt"
printf "+ echo 'hello from a thin snapshot' > %s/hello.txt\n" "$mnt"
echo 'hello from a thin snapshot' >"$mnt/hello.txt"
run dd if=/dev/urandom of="$mnt/blob" bs=1M count=32 status=none
run sync
run ls -l "$mnt"

echo
echo '# What the kernel sees, and the pool'"'"'s lineage.'
run dmctl ls --tree
run dmctl status
run dmctl snapshot ls --tree
run dmctl snapshot ls

echo
echo '# A file deleted in the container: trim hands its blocks back to the pool and the disk, online.'
run rm "$mnt/blob"
run dmctl trim

echo
echo '# The container goes away; the pool gives its blocks back.'
run dmctl umount container
run dmctl snapshot rm container
run dmctl snapshot ls
run dmctl info

echo
echo '# Files, pool metadata and kernel agree; free blocks go back to the disk under the pool, online.'
run dmctl check

echo
echo '# dmsetup'"'"'s verbs, spoken by dmctl.'
run dmctl ls
run dmctl --output dmsetup table
run dmctl --output dmsetup status
run dmctl info -c -o name,attr,uuid --noheadings --separator :

echo
echo '# For scripts: one value without a parser, or JSON (docs/json.md); options go anywhere.'
printf '+ pool=$(dmctl pool ls -o pool --noheadings)\n'
pool=$(dmctl pool ls -o pool --noheadings)
run dmctl status "$pool" -o data_used,data_total --bytes --noheadings
run dmctl snapshot ls -o id,thin_id,exclusive --bytes --noheadings --separator ,
run dmctl trim --dry-run
run dmctl snapshot ls --output json

echo
echo '# A reboot: deactivate, activate, and the image is still there.'
run dmctl pool deactivate
run dmctl pool activate
run dmctl snapshot ls
run dmctl pool destroy --yes
