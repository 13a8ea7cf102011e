# shellcheck shell=bash
# Sourced by tests/images/run.sh: `make demo` when its port is taken.
# Taken on 127.0.0.1 (a listener the test starts): the demo stops before
# building, naming the port and OPTML_PORT.  Taken on 127.0.0.2 only (the
# check on 127.0.0.1 passes, the server's bind on all addresses fails): the
# demo shows the server's last lines (Address already in use) and
# OPTML_PORT.  Neither leaves a log in /tmp nor a container running.  A
# demo on a free port is what the other image tests do step by step.
need_image linear-learner || return 0
unset OPTML_DOCKER_NETWORK OPTML_TEST_DIR OPTML_PORT OPTML_DOCKER_ENV OPTML_CONTAINER_NAME
# listen HOST: a listener on HOST:<free port>, killed when the run ends
# (track_pid: so it runs in this shell, never in a $(...) subshell, whose
# array would be lost); its port in $WORK/listen.HOST.  Its output goes to
# files only: an inherited stderr would hold the caller's pipe open.
listen() {
  local f=$WORK/listen.$1
  python3 -c '
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(300)' "$1" >"$f" 2>/dev/null </dev/null &
  track_pid $!
  for _ in $(seq 50); do [ -s "$f" ] && break; sleep 0.1; done
}
demo_logs() { find /tmp -maxdepth 1 -name 'optml-demo*' 2>/dev/null | sort; }
demo_logs >"$WORK/demo-logs.before"

listen 127.0.0.1; dport=$(cat "$WORK/listen.127.0.0.1")
OPTML_PORT=$dport timeout 300 make --no-print-directory demo >"$WORK/demo1.log" 2>&1; code=$?
check demo_port_taken_exits_non_zero test "$code" -ne 0
check demo_port_taken_names_port_and_optml_port sh -c \
  "grep -q 'port $dport on 127.0.0.1 is already in use' '$WORK/demo1.log' && grep -q 'OPTML_PORT=' '$WORK/demo1.log'"
check demo_port_taken_stops_before_training sh -c "! grep -q '== train' '$WORK/demo1.log'"

listen 127.0.0.2; dport2=$(cat "$WORK/listen.127.0.0.2")
OPTML_PORT=$dport2 timeout 300 make --no-print-directory demo >"$WORK/demo2.log" 2>&1; code=$?
check demo_server_fails_exits_non_zero test "$code" -ne 0
check demo_server_fails_shows_its_last_lines grep -qi 'address already in use' "$WORK/demo2.log"
check demo_server_fails_suggests_optml_port grep -q "port $dport2 is taken; serve on a free one: OPTML_PORT=" "$WORK/demo2.log"
check demo_server_fails_no_curl_404 sh -c "! grep -q 'curl: (22)' '$WORK/demo2.log'"
check demo_leaves_no_log_in_tmp sh -c "demo_logs() { find /tmp -maxdepth 1 -name 'optml-demo*' | sort; }; demo_logs | cmp -s - '$WORK/demo-logs.before'"
check demo_leaves_no_container sh -c "! docker ps -a --format '{{.Names}}' | grep -q '^optml-demo-'"
