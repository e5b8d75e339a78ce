#!/bin/sh
# /init of the test guests (busybox). Runs one traced session and prints its
# results on the serial console between "@@kt-begin NAME@@" and
# "@@kt-end NAME@@" lines, where run.sh picks them up; then powers off.

/bin/busybox --install -s /bin
# The initramfs has no /dev/console, so the kernel gave init no stdio.
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp

section() {
	echo "@@kt-begin $1@@"
	[ -e "$2" ] && awk 1 "$2"
	echo "@@kt-end $1@@"
}

uname -r >/tmp/uname
if [ -e /sys/kernel/btf/vmlinux ]; then
	echo yes >/tmp/btf
else
	echo no >/tmp/btf
fi
/kt/session.sh /kt/proclife /kt/workload /tmp/kt

section uname /tmp/uname
section btf /tmp/btf
section status /tmp/kt/status
section proclife.err /tmp/kt/proclife.err
section workload.err /tmp/kt/workload.err
section expect /tmp/kt/expect.json
section events /tmp/kt/events.json
echo "@@kt-done@@"
poweroff -f
