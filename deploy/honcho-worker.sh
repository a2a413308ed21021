#!/bin/sh
# Runs the Procfile's worker (`sh deploy/honcho-worker.sh python manage.py qcluster`) so
# that `make run`'s Ctrl-C stops it cleanly, and always stops it.
#
# honcho stops a process by signalling its whole process group, and a qcluster whose
# children get SIGTERM directly hangs in "stopping". So the command runs in its own
# session (a background job of a non-interactive shell is no group leader, so setsid
# does not fork and $! is the command) and only its main process gets the TERM. A cluster
# still busy STOP_WAIT seconds later (a task running) is killed with its whole session:
# honcho's own SIGKILL, 5 s after its TERM, reaches only this shell.
STOP_WAIT=${STOP_WAIT:-4}
pid=

stop() {
    trap '' INT TERM
    [ -n "$pid" ] || exit 143
    kill -TERM "$pid" 2>/dev/null
    tenths=0
    # the shell reaps the command while it sleeps, so kill -0 fails once it has exited
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$tenths" -ge $((STOP_WAIT * 10)) ]; then
            kill -9 "-$pid" 2>/dev/null  # a negative pid is the command's whole session
            break
        fi
        sleep 0.1
        tenths=$((tenths + 1))
    done
    wait "$pid"
    exit $?
}

trap stop INT TERM
setsid "$@" &
pid=$!
wait "$pid"
