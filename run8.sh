#!/bin/bash
# run8.sh ARGS...: signal storm rate under proclife ARGS (output /dev/null)
/tmp/sig/pl-main2 -o /dev/null "$@" 2>/tmp/sig/err8 & p=$!
sleep 1.5
r=$(/work/main/build/bench/loadgen signal -d 2 | jq -r '.rate|floor')
u=$(awk '{printf "%.2f", ($14+$15)/100}' /proc/$p/stat)
kill -INT $p; wait $p
echo "$r cpu $u"
