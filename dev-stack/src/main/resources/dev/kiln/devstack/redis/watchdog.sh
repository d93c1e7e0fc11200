#!/bin/sh
# Runs "$@" (a native service such as redis-server) and stops it when this script's stdin reaches EOF.
# Our stdin is a pipe whose only write end belongs to the JVM that started us, so EOF means that JVM
# closed it (normal stop) or died, even by kill -9. SIGTERM/SIGINT/SIGHUP are passed on to the service.
# Exit status: the service's.

# Keep the lifeline on fd 3: a background job's stdin is /dev/null in a non-interactive shell.
exec 3<&0
"$@" </dev/null 3<&- &
service=$!

# Only builtins in this subshell, so killing it leaves no helper process behind.
(
  while read -r _ignored <&3; do :; done
  kill -TERM "$service" 2>/dev/null
) &
watcher=$!
exec 3<&-

trap 'kill -TERM "$service" 2>/dev/null' TERM INT HUP
status=0
while :; do
  wait "$service"
  status=$?
  kill -0 "$service" 2>/dev/null || break
done
kill "$watcher" 2>/dev/null
exit "$status"
