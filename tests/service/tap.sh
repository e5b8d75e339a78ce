# TAP for the shell tests of tests/service/, counted by tests/run like cmocka's:
#   ok N - name / not ok N - name / ok N # SKIP why
# Sourced by each test, which runs from the repository with OUTPUT (the build
# output, such as build) and PROCLIFE (its binary) set.
set -uo pipefail

: "${OUTPUT:=build}"
: "${PROCLIFE:=$PWD/$OUTPUT/proclife}"
tap_n=0
tap_failed=0
# One temporary directory per test, removed at the end.
tmp=$(mktemp -d "/tmp/proclife-${0##*/}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=1
	echo "not ok $tap_n - $1"
	shift
	# Each line of the reasons, so that none can read as a TAP line.
	[[ $# -eq 0 ]] || printf '%s\n' "$@" | sed 's/^/# /'
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

# check NAME COMMAND...: ok when COMMAND succeeds; otherwise not ok with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "$*:" "$out"
	fi
}

# Call last: the test's exit status.
tap_done() {
	echo "1..$tap_n"
	exit $tap_failed
}

# make install with DESTDIR=$1, PREFIX=$2 and other variables (NAME=VALUE) after.
make_install() {
	make -s --no-print-directory OUTPUT="$OUTPUT" DESTDIR="$1" PREFIX="$2" "${@:3}" install
}

# A directive's value from a unit file, for each line that sets it.
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

# The unit's ExecStart as words (agent_args), made runnable here: this build's
# binary, the output in $tmp (agent_out), the metrics on a free loopback port
# (metrics_port).
agent_from_unit() {
	local unit=$1 i
	read -ra agent_args <<<"$(unit_value "$unit" ExecStart)"
	agent_args[0]=$PROCLIFE
	agent_out=$tmp/agent.jsonl
	metrics_port=
	for ((i = 1; i < ${#agent_args[@]}; i++)); do
		case ${agent_args[i - 1]} in
		-o | --output)
			agent_args[i]=$agent_out
			;;
		--metrics)
			metrics_port=$((20000 + RANDOM % 30000))
			while ss -Htln "sport = :$metrics_port" | grep -q .; do
				metrics_port=$((20000 + RANDOM % 30000))
			done
			agent_args[i]=${agent_args[i]%:*}:$metrics_port
			;;
		esac
	done
}

# Starts COMMAND... (which execs proclife) in the background, its stderr in
# $tmp/agent.err; 0 once it traces, else 1 with agent_status set when it ended.
agent_start() {
	rm -f "$agent_out"
	"$@" 2>"$tmp/agent.err" &
	agent_pid=$!
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q Tracing "$tmp/agent.err" && return 0
		if ! kill -0 "$agent_pid" 2>/dev/null; then
			wait "$agent_pid"
			agent_status=$?
			return 1
		fi
		sleep 0.1
	done
	agent_stop
	agent_status=timeout
	return 1
}

# Stops it with SIGTERM; its exit status in agent_status.
agent_stop() {
	kill -TERM "$agent_pid"
	wait "$agent_pid"
	agent_status=$?
}

# A Docker-style container cgroup of our own (container_id, container_dir),
# removed at the end with container_remove.
container_make() {
	local v2
	v2=$(findmnt -n -o TARGET -t cgroup2 | head -n 1)
	container_id=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	[[ -d $v2/docker ]] || container_parent=$v2/docker
	container_dir=$v2/docker/$container_id
	mkdir -p "$container_dir"
}

container_remove() {
	rmdir "$container_dir"
	# Only if we made it, and no other test uses it now.
	[[ -z ${container_parent:-} ]] || rmdir "$container_parent" 2>/dev/null
}

# A child that enters the container, then execs sh -c 'exit 7'; waits for it.
# Its pid in child.
container_child() {
	(
		echo "$BASHPID" > "$container_dir/cgroup.procs"
		exec /bin/sh -c 'exit 7'
	) &
	child=$!
	wait "$child"
}
