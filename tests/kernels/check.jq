# Matches the workload's expectations ($exp, one object each) against the
# events proclife recorded ($ev, in stream order). Keys of an expectation:
#   id        its name; "after" names another one
#   after     the event must come later in the stream than that one's event
#   count     exactly this many events of the stream match it (no "after")
#   min:F     field F is a number at least this large
#   any other key: the event's field equals it (null: the field is absent)
# An expectation matches the first such event. Every expectation is
# required. Prints one line per check: "ok ID" or "FAIL ID: why".

def meta_key: . == "id" or . == "after" or . == "count" or startswith("min:");

def equal_fields: with_entries(select(.key | meta_key | not));

def lower_bounds: with_entries(select(.key | startswith("min:")) | .key |= ltrimstr("min:"));

def matches($x):
  . as $e
  | ($x | equal_fields | to_entries | all(. as $kv | $e[$kv.key] == $kv.value))
    and ($x | lower_bounds | to_entries
         | all(. as $kv | ($e[$kv.key] | type) == "number" and $e[$kv.key] >= $kv.value));

# The events about the workload's processes, in stream order: a busy host
# adds many more, which only slow the matching down.
($exp | map({key: (.pid | tostring), value: true}) | from_entries) as $pids
| [$ev[] | select($pids[.pid | tostring])] as $mine

| def first_match($x; $min):
    first(range($min + 1; $mine | length) as $i
          | select($mine[$i] | matches($x)) | $i) // null;

  # What a failure shows: the events of the same type about the same process.
  def nearby($x): [$mine[] | select(.pid == $x.pid and .type == $x.type)] | .[:5];

reduce $exp[] as $x ({at: {}, lines: []};
    (if $x.after then .at[$x.after] else -1 end) as $min
    | if $x.count != null then
        ([$mine[] | select(matches($x))] | length) as $n
        | if $n == $x.count then .lines += ["ok \($x.id)"]
          else .lines += ["FAIL \($x.id): \($n) events like \($x | del(.id, .count) | tojson), want \($x.count)"]
          end
      elif $min == null then
        .at[$x.id] = null
        | .lines += ["FAIL \($x.id): depends on \($x.after), which did not match"]
      else
        first_match($x; $min) as $i
        | .at[$x.id] = $i
        | if $i == null then
            .lines += ["FAIL \($x.id): no event like \($x | del(.id, .after) | tojson)"
                       + (if $x.after then " after \($x.after)" else "" end)
                       + "; same pid and type: \(nearby($x) | tojson)"]
          else
            .lines += ["ok \($x.id)"]
          end
      end)
# One process is one (pid, start_ns): every event matched for a pid must
# carry the same start_ns.
| . as $r
| [$r.at | to_entries[] | select(.value != null) | $mine[.value]]
| group_by(.pid)
| map(select(map(.start_ns) | unique | length > 1)
      | "FAIL start_ns: pid \(.[0].pid) has events with start_ns \(map(.start_ns) | unique | tojson)")
| $r.lines + .
| .[]
