#!/bin/bash
# dockerd (with its own containerd) runs tsrunc as an added runtime through the flow of issue 7,
# privately: own mount namespace, tmpfs over /run, own data/exec roots and socket, no bridge or
# iptables (--network none). dockerd also calls `tsrunc --version` at start.
# Usage: test/clients/docker.sh /path/to/tsrunc /path/to/busybox-rootfs
set -euo pipefail
source "$(dirname "$0")/lib.sh"
private_client_env "$0" "$@"
dockerd --data-root "$W/data" --exec-root "$W/exec" --host "unix://$W/docker.sock" --pidfile "$W/docker.pid" \
  --iptables=false --ip-masq=false --bridge=none --add-runtime "tsrunc=$T" >"$W/dockerd.log" 2>&1 &
DPID=$!
docker_() { /usr/bin/docker -H "unix://$W/docker.sock" "$@"; } # Debian's client, matching the daemon
cleanup() {
  docker_ rm -f $(docker_ ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true
  pkill -f "containerd --config $W" 2>/dev/null || true
  release_work_dir "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$W/dockerd.log" >&2; exit 1; }
for _ in $(seq 200); do docker_ version >/dev/null 2>&1 && break; sleep 0.1; done
tar -C "$ROOTFS" -cf "$W/rootfs.tar" .
docker_ import "$W/rootfs.tar" localhost/tsrunc-bb:latest >/dev/null
I=localhost/tsrunc-bb:latest
R=(--runtime tsrunc --network none)

[ "$(docker_ run --rm "${R[@]}" $I echo hello)" = hello ] || fail "run"
docker_ run --rm "${R[@]}" $I sh -c 'exit 7' && fail "exit code lost" || [ $? = 7 ] || fail "run exit code"
tty=$(script -qc "/usr/bin/docker -H unix://$W/docker.sock run --rm -t --runtime tsrunc --network none $I tty" /dev/null | grep -o '/dev/pts/[0-9]*' | head -1)
[[ "$tty" == /dev/pts/* ]] || fail "run -t: $tty"
id=$(docker_ run -d "${R[@]}" $I sleep 300)
docker_ ps -q --no-trunc | grep "$id" >/dev/null || fail "ps"
[ "$(docker_ exec "$id" echo exec-ok)" = exec-ok ] || fail "exec"
docker_ exec "$id" sh -c 'exit 3' && fail "exec exit code lost" || [ $? = 3 ] || fail "exec exit code"
etty=$(script -qc "/usr/bin/docker -H unix://$W/docker.sock exec -t $id tty" /dev/null | grep -o '/dev/pts/[0-9]*' | head -1)
[[ "$etty" == /dev/pts/* ]] || fail "exec -t: $etty"
docker_ top "$id" | grep 'sleep 300' >/dev/null || fail "top"
docker_ pause "$id" >/dev/null; [ "$(docker_ inspect -f '{{.State.Status}}' "$id")" = paused ] || fail "pause"
docker_ unpause "$id" >/dev/null; [ "$(docker_ inspect -f '{{.State.Status}}' "$id")" = running ] || fail "unpause"
docker_ update --memory 100m --memory-swap 200m --cpu-shares 512 "$id" >/dev/null || fail "update"
docker_ stats --no-stream --format '{{.MemUsage}}' "$id" | grep '100MiB' >/dev/null || fail "stats after update"
docker_ stop -t 1 "$id" >/dev/null
[ "$(docker_ inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 137" ] || fail "stop"
[ "$(docker_ wait "$id")" = 137 ] || fail "wait"
docker_ rm "$id" >/dev/null || fail "rm"
err=$(docker_ run --rm "${R[@]}" --ulimit nofile=1048576:1048576 $I true 2>&1 || true)
echo "$err" | grep 'set rlimit RLIMIT_NOFILE' >/dev/null || fail "tsrunc's error not shown by docker: $err"
echo "docker: run, exit codes, run -t, run -d, ps, exec, exec -t, top, pause/unpause, update, stats, stop, wait, rm, create error ok"
