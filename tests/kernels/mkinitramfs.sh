#!/bin/bash
# Builds the test guests' initramfs: busybox, the traced session and its two
# static programs. No kernel modules: what the test needs is built into the
# kernels it boots (BPF, BTF, the 8250 serial console).
# Usage: mkinitramfs.sh OUT.cpio.gz PROCLIFE WORKLOAD
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
out=$1
proclife=$2
workload=$3
busybox=/bin/busybox

# A dynamic binary would fail in the guest with a bare "not found".
require_static() {
	if ! readelf -h "$1" >/dev/null 2>&1; then
		echo "mkinitramfs: $1: not an ELF executable" >&2
		exit 1
	fi
	if readelf -l "$1" | grep -q 'program interpreter'; then
		echo "mkinitramfs: $1: dynamically linked, the guests need a static build" >&2
		exit 1
	fi
}

require_static "$proclife"
require_static "$workload"
require_static "$busybox"

stage="$out.d"
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,kt}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$here/init.sh" "$stage/init"
cp "$here/session.sh" "$stage/kt/session.sh"
cp "$proclife" "$stage/kt/proclife"
cp "$workload" "$stage/kt/workload"
chmod 755 "$stage/init" "$stage/kt/session.sh" "$stage/kt/proclife" "$stage/kt/workload"

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$stage"
