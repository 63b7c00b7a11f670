#!/bin/bash
# containerd + ctr drive tsrunc (through the runc shim: --runc-binary) through the flow of issue 7,
# privately: own mount namespace, tmpfs over /run, own root/state/socket, no network.
# Usage: test/clients/containerd.sh /path/to/tsrunc /path/to/busybox-rootfs
set -euo pipefail
source "$(dirname "$0")/lib.sh"
private_client_env "$0" "$@"
cat >"$W/config.toml" <<CONF
version = 2
root = "$W/root"
state = "$W/state"
[grpc]
  address = "$W/containerd.sock"
CONF
containerd --config "$W/config.toml" >"$W/containerd.log" 2>&1 &
CPID=$!
ctr_() { ctr --address "$W/containerd.sock" "$@"; }
cleanup() {
  for t in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s KILL "$t" >/dev/null 2>&1 || true; sleep 0.2; ctr_ task delete "$t" >/dev/null 2>&1 || true; done
  for c in $(ctr_ container ls -q 2>/dev/null); do ctr_ container delete "$c" >/dev/null 2>&1 || true; done
  kill "$CPID" 2>/dev/null || true; wait "$CPID" 2>/dev/null || true
  release_work_dir "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -5 "$W/containerd.log" >&2; exit 1; }
for _ in $(seq 100); do [ -S "$W/containerd.sock" ] && break; sleep 0.1; done
# an image from the busybox rootfs: podman writes the archive ctr imports
tar -C "$ROOTFS" -cf "$W/rootfs.tar" .
CONTAINERS_CONF=/dev/null podman --root "$W/podman" --runroot "$W/podman-run" import "$W/rootfs.tar" localhost/tsrunc-bb:latest >/dev/null 2>&1
CONTAINERS_CONF=/dev/null podman --root "$W/podman" --runroot "$W/podman-run" save localhost/tsrunc-bb:latest -o "$W/bb.tar" >/dev/null 2>&1
ctr_ images import "$W/bb.tar" >/dev/null
R=(--runc-binary "$T")
I=localhost/tsrunc-bb:latest

[ "$(ctr_ run --rm "${R[@]}" $I c1 echo hello)" = hello ] || fail "run"
ctr_ run --rm "${R[@]}" $I c2 sh -c 'exit 7' && fail "exit code lost" || [ $? = 7 ] || fail "run exit code"
# (ctr's terminal echoes a NUL it writes as "^@": take the tty name out of the line)
tty=$(script -qc "ctr --address $W/containerd.sock run --rm -t --runc-binary $T $I c3 tty" /dev/null | grep -o '/dev/pts/[0-9]*' | head -1)
[[ "$tty" == /dev/pts/* ]] || fail "run -t: $tty"
ctr_ run -d "${R[@]}" $I c4 sleep 300 >/dev/null
ctr_ task ls | grep 'c4.*RUNNING' >/dev/null || fail "task ls"
[ "$(ctr_ task exec --exec-id e1 c4 echo exec-ok)" = exec-ok ] || fail "exec"
ctr_ task exec --exec-id e2 c4 sh -c 'exit 3' && fail "exec exit code lost" || [ $? = 3 ] || fail "exec exit code"
etty=$(script -qc "ctr --address $W/containerd.sock task exec -t --exec-id e3 c4 tty" /dev/null 2>/dev/null | grep -o '/dev/pts/[0-9]*' | head -1)
[[ "$etty" == /dev/pts/* ]] || fail "exec -t: $etty"
ctr_ task ps c4 | grep '^[0-9]' >/dev/null || fail "task ps"
ctr_ task pause c4; ctr_ task ls | grep 'c4.*PAUSED' >/dev/null || fail "pause"
ctr_ task resume c4; ctr_ task ls | grep 'c4.*RUNNING' >/dev/null || fail "resume"
ctr_ task metrics c4 | grep memory >/dev/null || fail "metrics"
ctr_ task kill -s KILL c4; for _ in $(seq 50); do ctr_ task ls | grep 'c4.*STOPPED' >/dev/null && break; sleep 0.1; done
ctr_ task ls | grep 'c4.*STOPPED' >/dev/null || fail "kill"
ctr_ task delete c4 >/dev/null; ctr_ container delete c4 || fail "delete"
# kill's default is SIGTERM, which a trapping container answers by exiting 0
ctr_ run -d "${R[@]}" $I c6 sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
sleep 0.3; ctr_ task kill c6
for _ in $(seq 50); do ctr_ task ls | grep 'c6.*STOPPED' >/dev/null && break; sleep 0.1; done
ctr_ task ls | grep 'c6.*STOPPED' >/dev/null || fail "kill (SIGTERM)"
ctr_ task delete c6 >/dev/null; ctr_ container delete c6 >/dev/null
# a create that fails in the runtime: ctr shows tsrunc's message (the shim reads its JSON log)
err=$(ctr_ run --rm "${R[@]}" --mount type=bind,src=/nonexistent-tsrunc-src,dst=/x,options=rbind $I c5 true 2>&1 || true)
ctr_ container delete c5 >/dev/null 2>&1 || true
echo "$err" | grep 'bind source "/nonexistent-tsrunc-src" does not exist' >/dev/null || fail "tsrunc's error not shown by ctr: $err"
echo "containerd: run, exit codes, run -t, run -d, task ls, exec, exec -t, ps, pause/resume, metrics, kill, delete, SIGTERM, create error ok"
