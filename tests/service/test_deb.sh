#!/usr/bin/env bash
# make deb builds a package with make install's content, its binary stripped
# (the symbols in proclife-dbgsym), a machine-readable copyright, and nothing
# lintian calls an error or a warning; dpkg -i installs it on this host, where
# proclife --version, man -l on its page, systemctl enable and systemd-analyze
# verify on its unit work; dpkg --purge then leaves nothing: no file of the
# package, no log directory, no enablement.
. "${0%/*}/tap.sh"

if [[ $(id -u) -ne 0 ]]; then
	skip "installs a package: needs root"
	tap_done
fi
# One install test at a time on this host.
exec 9>/run/lock/proclife-test-deb.lock
flock 9
if dpkg-query -W -f='${Status}' proclife 2>/dev/null | grep -q installed || [[ -e /usr/sbin/proclife ]]; then
	not_ok "proclife is not installed on this host already (the test would replace it)"
	tap_done
fi

deb=$OUTPUT/proclife_$(sed -n 's/^VERSION := //p' Makefile)_$(dpkg --print-architecture).deb
rm -f "$deb"
if out=$(make -s --no-print-directory OUTPUT="$OUTPUT" deb 2>&1) && [[ -f $deb ]]; then
	ok "make deb builds $deb"
else
	not_ok "make deb builds $deb" "$out"
	tap_done
fi
# The same files as make install (the man page compressed, as Debian does),
# and the two every Debian package has.
make_install "$tmp/root" /usr >/dev/null 2>&1
want=$( (cd "$tmp/root" && find . -type f | sed 's|^\.||; s|/man8/proclife.8$|&.gz|'
	echo /usr/share/doc/proclife/copyright
	echo /usr/share/doc/proclife/changelog.gz) | sort)
got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | sort)
[[ $got == "$want" ]] && ok "the package holds what make install does" ||
	not_ok "the package holds what make install does" "package: "$got "install: "$want
fields=$(dpkg-deb -f "$deb" Package Version Depends)
grep -q "^Version: $(sed -n 's/^VERSION := //p' Makefile)$" <<<"$fields" &&
	grep -q '^Depends: .*libbpf1.*libjansson4' <<<"$fields" &&
	ok "its control file has the Makefile's version and the libraries' packages" ||
	not_ok "its control file has the Makefile's version and the libraries' packages" "$fields"

dpkg-deb -x "$deb" "$tmp/pkg"
bin=$tmp/pkg/usr/sbin/proclife
kind=$(file -b "$bin")
[[ $kind == *", stripped" ]] && ok "its binary is stripped" || not_ok "its binary is stripped" "$kind"
# The debug symbols go to proclife-dbgsym, under the stripped binary's build id.
dbgsym=${deb/proclife_/proclife-dbgsym_}
id=$(readelf -n "$bin" | sed -n 's/^ *Build ID: //p')
dpkg-deb -x "$dbgsym" "$tmp/dbgsym" 2>/dev/null
debug=$tmp/dbgsym/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
[[ -n $id ]] && readelf -S "$debug" 2>/dev/null | grep -q '\.debug_info' &&
	ok "its debug symbols are in $dbgsym" ||
	not_ok "its debug symbols are in $dbgsym" "build id: $id" "$(dpkg-deb -c "$dbgsym" 2>&1)"
copyright=$tmp/pkg/usr/share/doc/proclife/copyright
[[ $(head -n 1 "$copyright" 2>&1) == "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" ]] &&
	grep -q '^License: LGPL-2.1 or BSD-2-clause$' "$copyright" &&
	ok "its copyright file is machine-readable and names the BPF part's licenses" ||
	not_ok "its copyright file is machine-readable and names the BPF part's licenses"
# Info tags are notes, not failures (such as words in the binary's strings that
# look misspelt: kernel field names from BTF, truncated messages).
out=$(lintian --fail-on error,warning "$deb" 2>&1)
[[ $? -eq 0 ]] && ok "lintian: no error, no warning" || not_ok "lintian: no error, no warning" "$out"

# Whatever happens below, the host is left without the package.
trap 'dpkg --purge proclife >/dev/null 2>&1; rm -rf "$tmp"' EXIT
check "dpkg -i installs it" dpkg -i "$deb"
[[ $(/usr/sbin/proclife --version 2>&1) == "$("$PROCLIFE" --version)" ]] &&
	ok "the installed proclife --version is the build's" ||
	not_ok "the installed proclife --version is the build's" "$(/usr/sbin/proclife --version 2>&1)"
page=/usr/share/man/man8/proclife.8.gz
rendered=$(MANWIDTH=80 man -l --warnings=w "$page" 2>&1)
[[ $rendered == "proclife(8) "* && $rendered != *warning* ]] &&
	ok "man -l renders the installed page without a warning" ||
	not_ok "man -l renders the installed page without a warning" "${rendered:0:500}"
unit=/usr/lib/systemd/system/proclife.service
[[ -f $unit && $(unit_value "$unit" ExecStart) == "/usr/sbin/proclife "* ]] &&
	ok "the unit is installed and runs /usr/sbin/proclife" ||
	not_ok "the unit is installed and runs /usr/sbin/proclife"
out=$(systemd-analyze verify proclife.service 2>&1)
[[ $? -eq 0 && -z $out ]] && ok "systemd-analyze verify proclife.service: nothing to say" ||
	not_ok "systemd-analyze verify proclife.service: nothing to say" "$out"
[[ $(dpkg-query -W -f='${Conffiles}' proclife) == *" /etc/logrotate.d/proclife "* ]] &&
	ok "the logrotate snippet is installed as a conffile" ||
	not_ok "the logrotate snippet is installed as a conffile"
check "systemctl enable proclife" systemctl enable proclife
wants=/etc/systemd/system/multi-user.target.wants/proclife.service
[[ -L $wants ]] && ok "... links it into multi-user.target" || not_ok "... links it into multi-user.target"

# What a running service leaves: its logs, rotated too.
mkdir -p /var/log/proclife
echo '{}' > /var/log/proclife/proclife.jsonl
echo '{}' > /var/log/proclife/proclife.jsonl.1
files=$(dpkg -L proclife | while read -r f; do [[ -d $f ]] || echo "$f"; done)
check "dpkg --purge removes it" dpkg --purge proclife
left=
for f in $files /var/log/proclife "$wants"; do
	[[ -e $f || -L $f ]] && left+=" $f"
done
[[ -n $files && -z $left ]] && ok "nothing is left: files, logs, enablement" ||
	not_ok "nothing is left: files, logs, enablement" "left:$left"
dpkg-query -W -f='${Status}' proclife 2>/dev/null | grep -q installed &&
	not_ok "dpkg forgets the package" || ok "dpkg forgets the package"

tap_done
