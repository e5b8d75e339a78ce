#!/usr/bin/env bash
# proclife(8) and --help cannot drift: every long option and command of --help
# is in the man page and every long option of the man page is in --help; the
# page renders without a warning and has the sections a man page needs.
. "${0%/*}/tap.sh"

page=$OUTPUT/proclife.8
help=$("$PROCLIFE" --help)
rendered=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
# Long options as written in each: --name, in option position.
help_opts=$(grep -oE '(^|[ ,])--[a-z][a-z-]*' <<<"$help" | grep -oE -- '--[a-z-]+' | sort -u)
man_opts=$(grep -oE '^ {7}(-[a-zA-Z], )?--[a-z][a-z-]*' <<<"$rendered" | grep -oE -- '--[a-z-]+' | sort -u)

[[ -n $help_opts && -n $man_opts ]] && ok "--help and the man page list options" ||
	not_ok "--help and the man page list options" "help: $help_opts" "man: $man_opts"
missing=$(comm -23 <(echo "$help_opts") <(echo "$man_opts"))
[[ -z $missing ]] && ok "every option of --help is described in proclife(8)" ||
	not_ok "every option of --help is described in proclife(8)" "missing: "$missing
extra=$(comm -13 <(echo "$help_opts") <(echo "$man_opts"))
[[ -z $extra ]] && ok "every option of proclife(8) is in --help" ||
	not_ok "every option of proclife(8) is in --help" "not in --help: "$extra

commands=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | grep -oE '^  [a-z]+' | tr -d ' ')
missing=
for c in $commands; do
	grep -qE "^ {7}$c( |$)" <<<"$rendered" || missing+=" $c"
done
[[ -n $commands && -z $missing ]] && ok "every command of --help is described in proclife(8)" ||
	not_ok "every command of --help is described in proclife(8)" "commands: "$commands \
		"missing:$missing"

for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS SIGNALS "EXIT STATUS" CAPABILITIES FILES \
	EXAMPLES "SEE ALSO"; do
	grep -qx "$s" <<<"$rendered" && ok "proclife(8) has $s" || not_ok "proclife(8) has $s"
done
# Each exit status --help names is explained.
for st in 0 1 2 3; do
	grep -qxE " {7}$st" <<<"$rendered" && ok "proclife(8) explains exit status $st" ||
		not_ok "proclife(8) explains exit status $st"
done

warnings=$(MANWIDTH=80 man -l --warnings=w "$page" 2>&1 >/dev/null)
[[ -z $warnings ]] && ok "man -l --warnings renders it without a warning" ||
	not_ok "man -l --warnings renders it without a warning" "$warnings"
warnings=$(groff -man -ww -z "$page" 2>&1)
[[ -z $warnings ]] && ok "groff -ww finds nothing to warn about" ||
	not_ok "groff -ww finds nothing to warn about" "$warnings"

tap_done
