#!/usr/bin/env bash
# The unit's sandbox does not break proclife. systemd is not PID 1 here, so the
# unit cannot be started; instead its ExecStart runs (with the unit's
# capabilities) under strace, serving a metrics scrape, a SIGUSR1, a SIGHUP
# (logrotate's), a child in a container and a SIGTERM, and every system call it made after its exec is
# checked against what the unit's settings would deny:
# - SystemCallFilter (expanded by systemd-analyze syscall-filter);
# - RestrictAddressFamilies;
# - MemoryDenyWriteExecute (no writable+executable mapping, no mprotect to exec);
# - ProtectSystem=strict: files opened for writing are in the LogsDirectory;
# - ProtectKernelTunables, ProtectKernelLogs, ProtectHome, PrivateDevices:
#   no path they hide is opened.
. "${0%/*}/tap.sh"

if [[ $(id -u) -ne 0 ]]; then
	skip "needs root"
	tap_done
fi
make_install "" "$tmp/usr" SYSCONFDIR="$tmp/etc" >/dev/null 2>&1
unit=$tmp/usr/lib/systemd/system/proclife.service
agent_from_unit "$unit"
caps=$(unit_value "$unit" CapabilityBoundingSet | tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd,)

st=$tmp/strace
if agent_start strace -f -qq -o "$st" -- setpriv --no-new-privs --inh-caps=-all \
	--bounding-set="-all,$caps" -- "${agent_args[@]}"; then
	ok "ExecStart runs under strace"
else
	not_ok "ExecStart runs under strace" "status $agent_status" "$(cat "$tmp/agent.err")"
	tap_done
fi
# strace forks the agent: signals go to the agent itself.
agent=$(pgrep -P "$agent_pid" -x proclife)
if [[ -n $metrics_port ]]; then
	check "a metrics scrape succeeds" curl -sf -o "$tmp/metrics" "http://127.0.0.1:$metrics_port/metrics"
fi
# A container's child makes it resolve a cgroup by its id.
container_make
container_child
container_remove
kill -USR1 "$agent"
mv "$agent_out" "$agent_out.1"
kill -HUP "$agent"
# The reopened file shows the agent lived through the SIGHUP.
for ((i = 0; i < 300; i++)); do
	[[ -e $agent_out ]] && break
	kill -0 "$agent" 2>/dev/null || break
	sleep 0.1
done
[[ -e $agent_out ]] && ok "SIGHUP reopens the output" || not_ok "SIGHUP reopens the output"
kill -TERM "$agent"
wait "$agent_pid"
[[ $(tail -n 1 "$tmp/agent.err") == *" events: "* ]] && ok "the agent ends cleanly on SIGTERM" ||
	not_ok "the agent ends cleanly on SIGTERM" "$(cat "$tmp/agent.err")"

# What proclife did after its exec, one call a line ("PID name(args) = result").
calls=$tmp/calls
awk -v bin="$PROCLIFE" 'index($0, "execve(\"" bin "\"") && / = 0$/ { on = 1; next }
	on' "$st" | sed -E 's/^[0-9]+ +//' | grep -E '^[a-z_0-9]+\(' > "$calls"
[[ -s $calls ]] && ok "strace saw proclife's system calls" || not_ok "strace saw proclife's system calls"

# SystemCallFilter (an allow list), its groups expanded.
expand() {
	local s
	for s in "$@"; do
		if [[ $s == @* ]]; then
			expand $(systemd-analyze syscall-filter "$s" | sed -n '2,$s/^ *\([-@a-z_0-9]*\)$/\1/p')
		else
			echo "$s"
		fi
	done
}
allowed=$(expand $(unit_value "$unit" SystemCallFilter) | sort -u)
used=$(sed -E 's/\(.*//' "$calls" | sort -u)
denied=$(comm -23 <(echo "$used") <(echo "$allowed"))
[[ -n $allowed && -z $denied ]] && ok "SystemCallFilter allows every call it makes ($(wc -l <<<"$used"))" ||
	not_ok "SystemCallFilter allows every call it makes" "denied: "$denied

families=$(grep -oE '^socket(pair)?\(AF_[A-Z0-9]+' "$calls" | sed 's/.*(//' | sort -u)
restrict=" $(unit_value "$unit" RestrictAddressFamilies) "
denied=
for f in $families; do
	[[ $restrict == *" $f "* ]] || denied+=" $f"
done
[[ -z $denied ]] && ok "RestrictAddressFamilies allows its sockets:"$families ||
	not_ok "RestrictAddressFamilies allows its sockets" "denied:$denied"

wx=$(grep -E '^(mmap|pkey_mprotect|mprotect)\(' "$calls" |
	grep -E '^(mprotect|pkey_mprotect)\([^)]*PROT_EXEC|PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE')
[[ -z $wx ]] && ok "MemoryDenyWriteExecute: no writable and executable memory" ||
	not_ok "MemoryDenyWriteExecute: no writable and executable memory" "$wx"

# Absolute paths opened, and those opened for writing.
opened=$(grep -E '^open(at|at2)?\(' "$calls" | grep -oE '"/[^"]*"' | tr -d '"' | sort -u)
written=$(grep -E '^open(at|at2)?\(.*(O_WRONLY|O_RDWR|O_CREAT)' "$calls" | grep -oE '"[^"]*"' |
	tr -d '"' | sort -u)
outside=$(grep -v "^${agent_out%/*}/" <<<"$written")
[[ -z $outside ]] && ok "ProtectSystem=strict: it writes only into its LogsDirectory" ||
	not_ok "ProtectSystem=strict: it writes only into its LogsDirectory" "also: $outside"
hidden=$(grep -E '^(/proc/(kallsyms|kcore|kmsg)|/dev/kmsg|/home|/root|/run/user)(/|$)' <<<"$opened"
	grep -E '^/dev/' <<<"$opened" | grep -vxE '/dev/(null|zero|full|random|urandom|tty)')
[[ -z $hidden ]] && ok "it opens no path the sandbox hides" ||
	not_ok "it opens no path the sandbox hides" "$hidden"

tap_done
