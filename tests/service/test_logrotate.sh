#!/usr/bin/env bash
# The logrotate snippet parses (logrotate -d), and rotates for real when pointed
# at a directory of ours: the file is renamed, a new one created with mode 0600,
# the previous rotation compressed a day later (delaycompress), and the
# postrotate script succeeds where the service is not running.
. "${0%/*}/tap.sh"

snippet=packaging/proclife.logrotate
out=$(logrotate -d -s "$tmp/state" "$snippet" 2>&1)
if [[ $? -eq 0 ]] && ! grep -qi 'error' <<<"$out"; then
	ok "logrotate -d accepts the snippet"
else
	not_ok "logrotate -d accepts the snippet" "$out"
fi
grep -q 'rotating pattern: /var/log/proclife/\*.jsonl' <<<"$out" &&
	ok "the snippet rotates /var/log/proclife/*.jsonl" ||
	not_ok "the snippet rotates /var/log/proclife/*.jsonl" "$out"

if [[ $(id -u) -ne 0 ]]; then
	skip "a real rotation creates files owned by root: needs root"
	tap_done
fi
# The same snippet on a directory of ours.
log=$tmp/log
mkdir -m 0700 "$log"
sed "s|/var/log/proclife/|$log/|" "$snippet" > "$tmp/conf"
rotate() {
	logrotate -f -s "$tmp/state" "$tmp/conf" 2>&1
}
echo '{"type":"fork"}' > "$log/proclife.jsonl"
if out=$(rotate); then
	ok "logrotate rotates (postrotate succeeds without the service)"
else
	not_ok "logrotate rotates (postrotate succeeds without the service)" "$out"
fi
[[ $(cat "$log/proclife.jsonl.1" 2>&1) == '{"type":"fork"}' ]] &&
	ok "the file moved to proclife.jsonl.1, uncompressed (delaycompress)" ||
	not_ok "the file moved to proclife.jsonl.1, uncompressed (delaycompress)" "$(ls -l "$log")"
[[ $(stat -c '%a %U %s' "$log/proclife.jsonl" 2>&1) == "600 root 0" ]] &&
	ok "a new empty file, mode 0600, is created for proclife to reopen" ||
	not_ok "a new empty file, mode 0600, is created for proclife to reopen" "$(ls -l "$log")"
echo '{"type":"exec"}' >> "$log/proclife.jsonl"
rotate >/dev/null
[[ $(zcat "$log/proclife.jsonl.2.gz" 2>&1) == '{"type":"fork"}' ]] &&
	ok "the rotation before is compressed" ||
	not_ok "the rotation before is compressed" "$(ls -l "$log")"
# notifempty: an empty file stays.
: > "$log/proclife.jsonl"
rotate >/dev/null
[[ $(cat "$log/proclife.jsonl.1") == '{"type":"exec"}' ]] && ok "an empty file is not rotated" ||
	not_ok "an empty file is not rotated" "$(ls -l "$log")"

tap_done
