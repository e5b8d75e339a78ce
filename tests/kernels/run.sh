#!/bin/bash
# Runs proclife's lifecycle smoke test on Debian's 6.1 and 6.12 kernels, each
# booted under qemu with software emulation, and on the host kernel; prints
# one PASS/FAIL/SKIP line per kernel, one for the static build's command line,
# and a closing "kernels: N passed, ..." line. Exits 1 when any of them fails.
#
# Usage: run.sh PROCLIFE WORKLOAD OUTDIR
#   PROCLIFE, WORKLOAD: static builds (they run unchanged in every guest).
#   OUTDIR: downloads (cached across runs), initramfs, consoles and results.
# Environment:
#   KT_KERNELS       what to test, default "6.1 6.12 host"
#   KT_TIMEOUT       seconds one kernel's run may take before it counts as
#                    hung (300)
#   KT_ACCEL         qemu accelerator, default tcg (stock kernels do not boot
#                    under this machine's nested KVM)
set -uo pipefail

here=$(dirname "$(readlink -f "$0")")

if [ $# -ne 3 ]; then
	echo "usage: $0 PROCLIFE WORKLOAD OUTDIR" >&2
	exit 2
fi
proclife=$(readlink -f "$1")
workload=$(readlink -f "$2")
out=$(readlink -f "$3")
kernels=${KT_KERNELS:-6.1 6.12 host}
run_timeout=${KT_TIMEOUT:-300}
accel=${KT_ACCEL:-tcg}

npass=0
nfail=0
nskip=0
apt_updated=no

die() {
	echo "kernels: $*" >&2
	exit 1
}

apt_update_once() {
	[ "$apt_updated" = yes ] && return 0
	apt_updated=yes
	apt-get update -qq >"$out/apt-update.log" 2>&1
}

ensure_deps() {
	local missing=()

	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] ||
		missing+=(busybox-static)
	command -v cpio >/dev/null || missing+=(cpio)
	command -v jq >/dev/null || missing+=(jq)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing ${missing[*]}, and only root can install them"
	echo "kernels: installing ${missing[*]}"
	apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >"$out/apt-install.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed, see $out/apt-install.log"
}

# The kernel package a meta package stands for, when it is of the series.
meta_target() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' |
		grep -m1 "^linux-image-$2[.-]"
}

# Sets kpkg and kver to the newest apt kernel package of a series ("6.1"),
# found through the meta packages so no ABI number is written here.
resolve_kernel() {
	local series=$1 meta attempt

	kpkg=
	for attempt in cached updated; do
		[ "$attempt" = updated ] && { apt_update_once || return 1; }
		for meta in "linux-image-$series-amd64" linux-image-amd64; do
			kpkg=$(meta_target "$meta" "$series") && break 2
		done
	done
	[ -n "$kpkg" ] || return 1
	kver=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | sed -n 's/^Version: //p')
	[ -n "$kver" ]
}

# Sets vmlinuz to the kernel image of kpkg/kver, downloaded once into the
# cache; a download or extraction cut short is thrown away, never reused.
fetch_kernel() {
	local debs="$out/debs" kdir="$out/linux/$kpkg-$kver" deb

	vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' 2>/dev/null | head -1)
	[ -n "$vmlinuz" ] && return 0
	mkdir -p "$debs" "$out/linux"
	deb="$debs/${kpkg}_${kver//:/%3a}_amd64.deb"
	if ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
		rm -f "$deb"
		# apt's sandbox user cannot write into a root-owned tree.
		(cd "$debs" && apt-get download -o APT::Sandbox::User=root "$kpkg=$kver") \
			>"$kdir.download.log" 2>&1 || return 1
	fi
	rm -rf "$kdir.tmp"
	mkdir -p "$kdir.tmp"
	if ! dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$kdir.tmp" --wildcards './boot/vmlinuz-*' 2>>"$kdir.download.log"; then
		rm -rf "$deb" "$kdir.tmp"
		return 1
	fi
	rm -rf "$kdir"
	mv "$kdir.tmp" "$kdir"
	vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' 2>/dev/null | head -1)
	[ -n "$vmlinuz" ]
}

# The lines of a console log between the markers of one section.
console_section() {
	awk -v b="@@kt-begin $2@@" -v e="@@kt-end $2@@" '
		{ sub(/\r$/, "") }
		$0 == e { on = 0 }
		on { print }
		$0 == b { on = 1 }' "$1"
}

# Boots one kernel with the initramfs and unpacks its console into dir the
# way session.sh leaves a host run.
boot_guest() {
	local dir=$1 console="$1/console.log" rc name

	rm -rf "$dir"
	mkdir -p "$dir"
	timeout --kill-after=10 "$run_timeout" \
		qemu-system-x86_64 -accel "$accel" -cpu max -m 1G -smp 1 \
		-nodefaults -display none -no-reboot \
		-serial "file:$console" \
		-kernel "$vmlinuz" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 loglevel=1" \
		</dev/null >"$dir/qemu.log" 2>&1
	rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		reason="the guest did not power off within $run_timeout s (see $console)"
		detail=$(tail_of "$console" 10)
		return 1
	fi
	if [ "$rc" != 0 ]; then
		reason="qemu exited with status $rc"
		detail=$(tail_of "$dir/qemu.log" 5)
		return 1
	fi
	if ! grep -q '^@@kt-done@@' "$console"; then
		reason="the guest stopped before its init finished (see $console)"
		detail=$(tail_of "$console" 10)
		return 1
	fi
	for name in uname btf status proclife.err workload.err; do
		console_section "$console" "$name" >"$dir/$name"
	done
	console_section "$console" expect >"$dir/expect.json"
	console_section "$console" events >"$dir/events.json"
}

# The last lines of a file that is not empty, under its name.
tail_of() {
	[ -s "$1" ] || return 0
	echo "${1##*/}:"
	tail -n "$2" "$1"
}

# Judges the files of one session in dir; sets reason when it fails.
judge_session() {
	local dir=$1 err

	err=$(sed -n 's/^error=//p' "$dir/status" 2>/dev/null | head -1)
	if [ -n "$err" ]; then
		reason=$err
		detail=$(tail_of "$dir/proclife.err" 15; tail_of "$dir/workload.err" 5)
		return 1
	fi
	if ! "$here/check.sh" "$dir/events.json" "$dir/expect.json" >"$dir/check.log" 2>&1; then
		reason="events differ from the workload's expectations (see $dir/check.log)"
		# Failures that only follow from an earlier one stay in the log.
		detail=$(grep -v -e '^ok ' -e 'which did not match$' "$dir/check.log" | head -n 20)
		return 1
	fi
	checked="$(grep -c '^ok ' "$dir/check.log") checks"
}

now_us() {
	echo "${EPOCHREALTIME/[.,]/}"
}

# Seconds since t0 (microseconds), with one decimal.
since() {
	local ds=$((($(now_us) - $1) / 100000))

	echo "$((ds / 10)).$((ds % 10)) s"
}

report() {
	local verdict=$1 what=$2 t0=$3

	printf '%-4s  %s  %s\n' "$verdict" "$what" "$(since "$t0")"
	case $verdict in
	PASS) npass=$((npass + 1)) ;;
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	esac
	if [ "$verdict" != PASS ] && [ -n "$reason" ]; then
		echo "      $reason"
	fi
	if [ "$verdict" = FAIL ] && [ -n "$detail" ]; then
		sed 's/^/      | /' <<<"$detail"
	fi
}

test_guest() {
	local series=$1 t0 dir="$out/$1" what

	t0=$(now_us)
	reason='' detail=''
	if ! resolve_kernel "$series"; then
		reason="apt offers no $series kernel (meta packages linux-image-$series-amd64, linux-image-amd64)"
		report SKIP "linux $series" "$t0"
		return
	fi
	what="linux $series: $kpkg $kver"
	# Stale package lists name versions the archive no longer has.
	if ! fetch_kernel && [ "$apt_updated" = no ] && apt_update_once &&
		resolve_kernel "$series"; then
		what="linux $series: $kpkg $kver"
		fetch_kernel
	fi
	if [ -z "$vmlinuz" ]; then
		reason="cannot fetch $kpkg $kver (see $out/linux/$kpkg-$kver.download.log)"
		report SKIP "$what" "$t0"
		return
	fi
	if ! boot_guest "$dir"; then
		report FAIL "$what" "$t0"
		return
	fi
	what="linux $(cat "$dir/uname") ($kpkg $kver, qemu $accel)"
	if [ "$(cat "$dir/btf")" != yes ]; then
		reason="the kernel has no /sys/kernel/btf/vmlinux"
		report SKIP "$what" "$t0"
		return
	fi
	if judge_session "$dir"; then
		report PASS "$what: $checked" "$t0"
	else
		report FAIL "$what" "$t0"
	fi
}

test_host() {
	local t0 dir="$out/host" what

	t0=$(now_us)
	reason='' detail=''
	what="linux $(uname -r) (host)"
	if [ "$(id -u)" != 0 ]; then
		reason="loading BPF programs needs root"
		report SKIP "$what" "$t0"
		return
	fi
	if [ ! -e /sys/kernel/btf/vmlinux ]; then
		reason="the kernel has no /sys/kernel/btf/vmlinux"
		report SKIP "$what" "$t0"
		return
	fi
	timeout --kill-after=10 "$run_timeout" \
		"$here/session.sh" "$proclife" "$workload" "$dir" >/dev/null 2>&1
	case $? in
	124 | 137)
		reason="the session did not end within $run_timeout s"
		report FAIL "$what" "$t0"
		return
		;;
	esac
	if judge_session "$dir"; then
		report PASS "$what: $checked" "$t0"
	else
		report FAIL "$what" "$t0"
	fi
}

# The static build has no metrics server: its command line refuses --metrics
# as a usage error, before anything starts.
test_static_cli() {
	local t0 got rc want="proclife: --metrics: this build has no metrics server (static build)"

	t0=$(now_us)
	reason='' detail=''
	got=$("$proclife" --metrics 9810 trace 2>&1 >/dev/null </dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [ "$(head -n 1 <<<"$got")" = "$want" ] &&
	   ! "$proclife" --help 2>&1 | grep -q -- --metrics; then
		report PASS "static build: --metrics refused at parse time, not in --help" "$t0"
	else
		reason="want exit status 2 and: $want, and no --metrics in --help"
		detail="exit status $rc"$'\n'"$(head -n 5 <<<"$got")"
		report FAIL "static build: --metrics refused at parse time, not in --help" "$t0"
	fi
}

mkdir -p "$out" || exit 1
t_all=$(now_us)
ensure_deps
"$here/mkinitramfs.sh" "$out/initramfs.cpio.gz" "$proclife" "$workload" ||
	die "cannot build the guests' initramfs"

test_static_cli
for k in $kernels; do
	case $k in
	host) test_host ;;
	*) test_guest "$k" ;;
	esac
done

echo "total $(since "$t_all")"
summary="kernels: $npass passed, $nfail failed"
[ "$nskip" = 0 ] || summary+=", $nskip skipped"
echo "$summary"
[ "$nfail" = 0 ]
