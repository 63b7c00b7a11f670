#!/bin/bash
# podman (with conmon) drives tsrunc through the flow of issue 7, privately: its own mount
# namespace with a tmpfs over /run, private storage, no network, cgroups under libpod_parent.
# Usage: test/clients/podman.sh /path/to/tsrunc /path/to/busybox-rootfs
set -euo pipefail
source "$(dirname "$0")/lib.sh"
private_client_env "$0" "$@"
cleanup() {
  podman_ rm -af -t 0 >/dev/null 2>&1 || true
  find /sys/fs/cgroup -depth -type d -path '*libpod*' -exec rmdir {} + 2>/dev/null || true
  # podman's storage mounts (overlay) live in this private namespace: detach them, then remove
  release_work_dir "$W"
}
trap cleanup EXIT
cat >"$W/containers.conf" <<CONF
[containers]
default_ulimits = []
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["crun", "runc", "tsrunc"]
CONF
export CONTAINERS_CONF=$W/containers.conf
podman_() { podman --root "$W/root" --runroot "$W/run" --runtime "$T" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
tar -C "$ROOTFS" -cf "$W/rootfs.tar" .
podman_ import "$W/rootfs.tar" localhost/tsrunc-bb:latest >/dev/null

out=$(podman_ run --rm localhost/tsrunc-bb:latest echo hello) ; [ "$out" = hello ] || fail "run: $out"
podman_ run --rm localhost/tsrunc-bb:latest sh -c 'exit 7' && fail "exit code lost" || [ $? = 7 ] || fail "run exit code"
tty=$(script -qc "podman --root $W/root --runroot $W/run --runtime $T run --rm -t localhost/tsrunc-bb:latest tty" /dev/null | tr -d '\r')
[[ "$tty" == /dev/pts/* ]] || fail "run -t: $tty"
id=$(podman_ run -d localhost/tsrunc-bb:latest sleep 300)
podman_ ps --format '{{.ID}}' | grep "${id:0:12}" >/dev/null || fail "ps"
[ "$(podman_ exec "$id" echo exec-ok)" = exec-ok ] || fail "exec"
podman_ exec "$id" sh -c 'exit 3' && fail "exec exit code lost" || [ $? = 3 ] || fail "exec exit code"
etty=$(script -qc "podman --root $W/root --runroot $W/run --runtime $T exec -t $id tty" /dev/null | tr -d '\r')
[[ "$etty" == /dev/pts/* ]] || fail "exec -t: $etty"
podman_ top "$id" | grep 'sleep 300' >/dev/null || fail "top"
podman_ pause "$id" >/dev/null; [ "$(podman_ inspect --format '{{.State.Status}}' "$id")" = paused ] || fail "pause"
podman_ unpause "$id" >/dev/null; [ "$(podman_ inspect --format '{{.State.Status}}' "$id")" = running ] || fail "unpause"
podman_ update --memory 100m --cpu-shares 512 "$id" >/dev/null || fail "update"
pid=$(podman_ inspect --format '{{.State.Pid}}' "$id")
[ "$(cat /sys/fs/cgroup/memory"$(grep ':memory:' /proc/"$pid"/cgroup | cut -d: -f3)"/memory.limit_in_bytes)" = 104857600 ] || fail "update memory"
podman_ stats --no-stream --format '{{.MemUsage}}' "$id" | grep / >/dev/null || fail "stats"
podman_ kill -s KILL "$id" >/dev/null; podman_ wait "$id" >/dev/null
[ "$(podman_ inspect --format '{{.State.Status}}' "$id")" = exited ] || fail "kill/wait"
podman_ rm "$id" >/dev/null || fail "rm"
# stop sends SIGTERM, which a trapping container answers by exiting
sid=$(podman_ run -d localhost/tsrunc-bb:latest sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done')
podman_ stop -t 10 "$sid" >/dev/null
[ "$(podman_ inspect --format '{{.State.ExitCode}}' "$sid")" = 0 ] || fail "stop (SIGTERM)"
podman_ rm "$sid" >/dev/null
# a create that fails in the runtime: podman shows tsrunc's own message (its JSON log's last msg)
err=$(podman_ run --rm --ulimit nofile=1048576:1048576 localhost/tsrunc-bb:latest true 2>&1) && fail "create with an impossible rlimit succeeded"
echo "$err" | grep 'set rlimit RLIMIT_NOFILE' >/dev/null || fail "tsrunc's error not shown by podman: $err"
echo "podman: run, exit codes, run -t, run -d, ps, exec, exec -t, top, pause/unpause, update, stats, kill, wait, rm, stop, create error ok"
