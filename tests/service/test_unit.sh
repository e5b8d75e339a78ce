#!/usr/bin/env bash
# The systemd unit: systemd-analyze verify finds nothing to say about it (systemd
# is not PID 1 here, so it cannot be started); it runs the agent as documented;
# it keeps its hardening (systemd-analyze security's exposure stays at most
# what it is now).
. "${0%/*}/tap.sh"

# Installed under a prefix of ours, so that ExecStart and the man page exist.
if out=$(make_install "" "$tmp/usr" SYSCONFDIR="$tmp/etc" 2>&1); then
	ok "make install under a temporary prefix"
else
	not_ok "make install under a temporary prefix" "$out"
fi
unit=$tmp/usr/lib/systemd/system/proclife.service

# verify exits 0 on most mistakes (an unknown key, a bad value): it must say nothing.
out=$(MANPATH=$tmp/usr/share/man systemd-analyze verify "$unit" 2>&1)
[[ $? -eq 0 && -z $out ]] && ok "systemd-analyze verify: nothing to say" ||
	not_ok "systemd-analyze verify: nothing to say" "$out"

# What the agent runs, as the README and proclife(8) say.
exec_start=$(unit_value "$unit" ExecStart)
for want in " --json" " -o /var/log/proclife/proclife.jsonl" " -s 300" " --host-fields" \
	" --metrics 127.0.0.1:"; do
	[[ $exec_start == *"$want"* ]] && ok "ExecStart has$want" ||
		not_ok "ExecStart has$want" "ExecStart=$exec_start"
done
for want in LogsDirectory=proclife Restart=on-failure NoNewPrivileges=yes ProtectSystem=strict \
	ProtectHome=yes PrivateTmp=yes ProtectControlGroups=yes ProtectKernelModules=yes \
	MemoryDenyWriteExecute=yes LockPersonality=yes \
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
	"SystemCallFilter=@system-service bpf perf_event_open open_by_handle_at"; do
	grep -qx "$want" "$unit" && ok "the unit sets $want" || not_ok "the unit sets $want"
done

# 2.8 on systemd 252's scale of 0 (locked down) to 10 (exposed).
out=$(systemd-analyze security --offline=true --threshold=28 "$unit" 2>&1)
[[ $? -eq 0 ]] && ok "systemd-analyze security: exposure at most 2.8" ||
	not_ok "systemd-analyze security: exposure at most 2.8" "$(tail -n 1 <<<"$out")"

tap_done
