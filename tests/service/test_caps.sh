#!/usr/bin/env bash
# The unit's capabilities are all proclife needs, and each is needed. The
# service runs as root with CapabilityBoundingSet= as its only capabilities;
# this runs its ExecStart (read from the unit: one source of truth) the same
# way, under setpriv, with no-new-privs and the kernel's default 64 KiB
# RLIMIT_MEMLOCK:
# - with exactly the set it traces a child's fork, exec and exit, names the
#   child's container (a Docker-style cgroup of ours), and the start-up
#   snapshot names the program of a process started before it;
# - without each capability it fails, or degrades, as proclife(8) says.
. "${0%/*}/tap.sh"

if [[ $(id -u) -ne 0 ]]; then
	skip "needs root"
	tap_done
fi
make_install "" "$tmp/usr" SYSCONFDIR="$tmp/etc" >/dev/null 2>&1
unit=$tmp/usr/lib/systemd/system/proclife.service
agent_from_unit "$unit"
read -ra caps <<<"$(unit_value "$unit" CapabilityBoundingSet)"
[[ ${#caps[@]} -gt 0 ]] && ok "the unit bounds the capabilities: ${caps[*]}" ||
	not_ok "the unit bounds the capabilities"
# Else the bounding set would not be the whole story.
[[ -z $(unit_value "$unit" User)$(unit_value "$unit" DynamicUser)$(unit_value "$unit" AmbientCapabilities) ]] &&
	ok "the service runs as root, without ambient capabilities" ||
	not_ok "the service runs as root, without ambient capabilities"

# CAP_X CAP_Y -> +x,+y, as setpriv writes them.
setpriv_caps() {
	local c list=
	for c in "$@"; do
		c=${c,,}
		list+=,+${c#cap_}
	done
	echo "${list#,}"
}

# A process older than proclife: only its snapshot entry names its program.
sleep 1000 &
old=$!
container_make

# Runs the agent with the capabilities given; sets events (JSON lines) and child.
run_with() {
	events= child=
	agent_start prlimit --memlock=65536:65536 setpriv --no-new-privs --inh-caps=-all \
		--bounding-set="-all${1:+,$1}" -- "${agent_args[@]}" || return 1
	container_child
	agent_stop
	events=$(cat "$agent_out")
}

# Ask jq a question about the events.
has() {
	jq -e --argjson child "${child:-0}" --argjson old "$old" --arg cid "$container_id" -s "$1" \
		<<<"$events" >/dev/null
}
fork_exec_exit='any(.[]; .type == "fork" and .pid == $child) and
	any(.[]; .type == "exec" and .pid == $child and .filename == "/bin/sh") and
	any(.[]; .type == "exit" and .pid == $child and .exit_code == 7)'
in_container='any(.[]; .type == "exec" and .pid == $child and .container_id == $cid)'
old_exe='any(.[] | select(.type == "snapshot") | .procs[]; .pid == $old and .filename == "/usr/bin/sleep")'
old_seen='any(.[] | select(.type == "snapshot") | .procs[]; .pid == $old)'

if run_with "$(setpriv_caps "${caps[@]}")"; then
	ok "with exactly ${caps[*]}, proclife runs"
	has "$fork_exec_exit" && ok "... and sees a child's fork, exec (its program) and exit" ||
		not_ok "... and sees a child's fork, exec (its program) and exit" "${events:0:2000}"
	has "$in_container" && ok "... and names its container" ||
		not_ok "... and names its container" "${events:0:2000}"
	has "$old_exe" && ok "... and names the program of a process older than itself" ||
		not_ok "... and names the program of a process older than itself" "${events:0:2000}"
else
	not_ok "with exactly ${caps[*]}, proclife runs" "status $agent_status" "$(cat "$tmp/agent.err")"
fi

# Without each one: what proclife(8) (CAPABILITIES) says.
for drop in "${caps[@]}"; do
	rest=()
	for c in "${caps[@]}"; do
		[[ $c == "$drop" ]] || rest+=("$c")
	done
	run_with "$(setpriv_caps "${rest[@]}")"
	started=$?
	case $drop in
	CAP_BPF | CAP_PERFMON)
		[[ $started -ne 0 && $agent_status == 1 ]] &&
			grep -q 'run as root, or with CAP_BPF and CAP_PERFMON' "$tmp/agent.err" &&
			ok "without $drop, proclife exits 1 and says which capabilities it needs" ||
			not_ok "without $drop, proclife exits 1 and says which capabilities it needs" \
				"started: $started status: $agent_status" "$(cat "$tmp/agent.err")"
		;;
	CAP_SYS_PTRACE)
		[[ $started -eq 0 ]] && has "$fork_exec_exit" && has "$old_seen" && ! has "$old_exe" &&
			ok "without $drop, proclife traces but cannot name older processes' programs" ||
			not_ok "without $drop, proclife traces but cannot name older processes' programs" \
				"started: $started" "${events:0:2000}" "$(cat "$tmp/agent.err")"
		;;
	CAP_DAC_READ_SEARCH)
		[[ $started -eq 0 ]] && has "$fork_exec_exit" && ! has "$in_container" &&
			ok "without $drop, proclife traces but cannot name containers" ||
			not_ok "without $drop, proclife traces but cannot name containers" \
				"started: $started" "${events:0:2000}" "$(cat "$tmp/agent.err")"
		;;
	*)
		not_ok "$drop: no test says what it is needed for"
		;;
	esac
done
kill "$old"
wait "$old" 2>/dev/null
container_remove

tap_done
