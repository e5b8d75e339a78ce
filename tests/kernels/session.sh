#!/bin/sh
# One traced run, the same in a guest and on the host: starts proclife, waits
# until it has attached, runs the workload, stops proclife with SIGINT.
# Usage: session.sh PROCLIFE WORKLOAD OUTDIR
# Leaves in OUTDIR: events.json, expect.json, proclife.err, workload.err and
# status (key=value lines: proclife_exit, workload_exit, error).
# POSIX sh only: busybox runs it in the guests.

proclife=$1
workload=$2
out=$3
# In tenths of a second: loading under software emulation is slow, and this
# only bounds a hang.
attach_timeout_ds=1200

mkdir -p "$out" || exit 1
rm -f "$out/events.json" "$out/expect.json" "$out/proclife.err" \
	"$out/workload.err" "$out/status"

# -v: when a kernel rejects a program, libbpf's messages say why. The
# workload holds its zombie until the stream reports it leaked.
"$proclife" -v --json --zombie-age 0.1 -o "$out/events.json" 2>"$out/proclife.err" &
pl=$!

waited=0
while ! grep -q Tracing "$out/proclife.err" 2>/dev/null; do
	if ! kill -0 "$pl" 2>/dev/null; then
		wait "$pl"
		echo "proclife_exit=$?" >>"$out/status"
		echo "error=proclife exited before it printed Tracing" >>"$out/status"
		exit 1
	fi
	if [ "$waited" -ge "$attach_timeout_ds" ]; then
		kill -KILL "$pl"
		wait "$pl"
		echo "error=proclife did not print Tracing within $((attach_timeout_ds / 10)) s" >>"$out/status"
		exit 1
	fi
	sleep 0.1
	waited=$((waited + 1))
done

"$workload" "$out/events.json" >"$out/expect.json" 2>"$out/workload.err"
wl=$?
echo "workload_exit=$wl" >>"$out/status"
[ "$wl" = 0 ] || echo "error=the workload exited with status $wl" >>"$out/status"

# A reap is reported when the kernel frees the task, an RCU grace period
# after the parent's wait: give the workload's last ones time to arrive.
sleep 1
kill -INT "$pl"
wait "$pl"
rc=$?
echo "proclife_exit=$rc" >>"$out/status"
[ "$rc" = 0 ] || echo "error=proclife exited with status $rc after SIGINT" >>"$out/status"
[ "$rc" = 0 ] && [ "$wl" = 0 ]
