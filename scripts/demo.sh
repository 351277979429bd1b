#!/usr/bin/env bash
# demo.sh: a thin pool's life as Docker's devicemapper driver lived it,
# told with dmctl. Runs as root where device-mapper is (make demo runs it in
# a QEMU guest with dmctl on PATH). The pool lives in a fresh root under
# $TMPDIR (default /var/tmp): sparse files, so the default 100 GB of data
# cost nothing. It ends with a second, small pool that pool monitor grows
# while a writer fills it. Every command is echoed before it runs.
set -euo pipefail

run() {
	printf '+ %s\n' "$*"
	"$@"
}

root=$(mktemp -d "${TMPDIR:-/var/tmp}/dmctl-demo.XXXXXX")
small=$root-small
monitor=
cleanup() {
	[[ -z $monitor ]] || kill -TERM "$monitor" 2>/dev/null || true
	dmctl --root "$small" pool destroy --yes --force >/dev/null 2>&1 || true
	dmctl --root "$root" pool destroy --yes --force >/dev/null 2>&1 || true
	rm -rf "$root" "$small"
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

echo
echo '# A pool that never fills up: 1.5 GiB written into a 1 GiB pool while pool monitor'
echo '# grows it from the kernel'"'"'s low water mark events (one line per action, on stderr).'
printf '+ export DMCTL_ROOT=%s\n' "$small"
export DMCTL_ROOT=$small
run dmctl pool create --data-size 1G --metadata-size 64M --base-size 2G --fs ext4 --direct-io
run dmctl snapshot create writer
printf '+ dev=$(dmctl activate writer)\n'
dev=$(dmctl activate writer)
echo "$dev"
printf '+ dmctl pool monitor &\n'
dmctl pool monitor &
monitor=$!
sleep 2
run dd if=/dev/zero of="$dev" bs=4M count=384 oflag=direct status=none
printf '+ kill -TERM %s   # the monitor stops cleanly\n' "$monitor"
kill -TERM "$monitor"
wait "$monitor"
monitor=
run dmctl status "$(dmctl pool ls -o pool --noheadings)"
run ls -ls "$small/devicemapper"
run dmctl deactivate writer
run dmctl pool destroy --yes
