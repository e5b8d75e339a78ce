#!/usr/bin/env bash
# make install puts the binary, proclife(8), the unit, the logrotate snippet, the
# docs and the rsyslog example (the file the fleet test runs) under PREFIX
# (logrotate's under /etc, nothing in /etc/rsyslog.d) with the right modes; the
# unit names the installed binary; make uninstall removes exactly those files;
# --version names the commit the binary was built from, "unknown" outside git.
. "${0%/*}/tap.sh"

root=$tmp/root
files=(
	"755 /usr/local/sbin/proclife"
	"644 /usr/local/share/man/man8/proclife.8"
	"644 /usr/local/lib/systemd/system/proclife.service"
	"644 /etc/logrotate.d/proclife"
	"644 /usr/local/share/doc/proclife/schema.md"
	"644 /usr/local/share/doc/proclife/metrics.md"
	"644 /usr/local/share/doc/proclife/alerts.yml"
	"644 /usr/local/share/doc/proclife/examples/rsyslog.conf"
)

if out=$(make_install "$root" /usr/local 2>&1); then
	ok "make install PREFIX=/usr/local DESTDIR=..."
else
	not_ok "make install PREFIX=/usr/local DESTDIR=..." "$out"
fi
for f in "${files[@]}"; do
	mode=${f%% *} path=${f#* }
	got=$(stat -c %a "$root$path" 2>&1)
	[[ $got == "$mode" ]] && ok "installed $path, mode $mode" ||
		not_ok "installed $path, mode $mode" "got: $got"
done
n=$(find "$root" -type f | wc -l)
[[ $n -eq ${#files[@]} ]] && ok "install puts nothing else" ||
	not_ok "install puts nothing else" "$(find "$root" -type f)"
cmp -s packaging/proclife.rsyslog.conf "$root/usr/local/share/doc/proclife/examples/rsyslog.conf" &&
	ok "the rsyslog example is packaging/proclife.rsyslog.conf" ||
	not_ok "the rsyslog example is packaging/proclife.rsyslog.conf"
cmp -s "$PROCLIFE" "$root/usr/local/sbin/proclife" && ok "the installed binary is the build's" ||
	not_ok "the installed binary is the build's"
exec_start=$(unit_value "$root/usr/local/lib/systemd/system/proclife.service" ExecStart)
[[ $exec_start == "/usr/local/sbin/proclife "* ]] && ok "the unit runs the installed binary" ||
	not_ok "the unit runs the installed binary" "ExecStart=$exec_start"

# Files of others in the same directories must survive uninstall.
for d in /usr/local/sbin /usr/local/share/man/man8 /usr/local/lib/systemd/system /etc/logrotate.d; do
	echo other > "$root$d/other"
done
if out=$(make -s --no-print-directory OUTPUT="$OUTPUT" DESTDIR="$root" PREFIX=/usr/local \
	uninstall 2>&1); then
	ok "make uninstall"
else
	not_ok "make uninstall" "$out"
fi
left=$(find "$root" -type f ! -name other)
[[ -z $left ]] && ok "uninstall removes every installed file" ||
	not_ok "uninstall removes every installed file" "left: $left"
[[ $(find "$root" -type f -name other | wc -l) -eq 4 ]] && ok "uninstall removes nothing else" ||
	not_ok "uninstall removes nothing else"

# The commit is the one the tree was built from (make rebuilds when it changes).
version=$("$PROCLIFE" --version)
want="proclife $(sed -n 's/^VERSION := //p' Makefile) (commit $(git describe --always --dirty))"
[[ $version == "$want" ]] && ok "--version names the commit" ||
	not_ok "--version names the commit" "got:  $version" "want: $want"

# From a tarball (no .git) the commit is unknown, even unpacked inside another
# repository.
git init -q "$tmp/outer"
git -C "$tmp/outer" -c user.name=t -c user.email=t@t commit -q --allow-empty -m outer
mkdir "$tmp/outer/tarball"
git ls-files -z | tar -c --null -T - | tar -x -C "$tmp/outer/tarball"
# Not make's jobserver of a parent make (its warning would be read as the answer).
commit=$(MAKEFLAGS= make -s -C "$tmp/outer/tarball" --no-print-directory OUTPUT="$tmp/outer/tarball/build" \
	--eval 'print-commit: ; @echo $(PROCLIFE_COMMIT)' print-commit 2>&1)
[[ $commit == unknown ]] && ok "a tarball build's commit is unknown" ||
	not_ok "a tarball build's commit is unknown" "got: $commit"

tap_done
