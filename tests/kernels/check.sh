#!/bin/bash
# Checks proclife's JSON-lines events against the workload's expectations.
# Usage: check.sh EVENTS EXPECT
# Prints one line per check; exits 1 when any check fails or a file is bad.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
events=$1
expect=$2

fail() {
	echo "FAIL $*"
	exit 1
}

[ -s "$expect" ] || fail "no expectations in $expect (the workload did not run to its end)"
[ -s "$events" ] || fail "no events in $events"
jq -e . "$events" >/dev/null 2>&1 || fail "$events is not valid JSON lines: $(jq . "$events" 2>&1 >/dev/null | head -1)"
jq -e . "$expect" >/dev/null 2>&1 || fail "$expect is not valid JSON lines"

lost=$(jq -s '[.[] | select(.type == "lost")] | length' "$events")
[ "$lost" = 0 ] || echo "note: the stream reports lost events ($lost records)"

result=$(jq -rn --slurpfile ev "$events" --slurpfile exp "$expect" -f "$here/check.jq")
printf '%s\n' "$result"
! grep -q '^FAIL' <<<"$result"
