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
	local why
	for why in "$@"; do
		echo "# $why"
	done
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
		not_ok "$name" "$*:" "${out//$'\n'/$'\n'# }"
	fi
}

# Call last: the test's exit status.
tap_done() {
	echo "1..$tap_n"
	exit $tap_failed
}

# Installs with `make install` into $1 as its DESTDIR, with PREFIX=$2.
make_install() {
	make -s --no-print-directory OUTPUT="$OUTPUT" DESTDIR="$1" PREFIX="$2" install
}

# A directive's value from a unit file, for each line that sets it.
unit_value() {
	sed -n "s/^$2=//p" "$1"
}
