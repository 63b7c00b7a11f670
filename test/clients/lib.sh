# Shared by the client scripts. (They use `grep PATTERN >/dev/null`, not `grep -q`, after a pipe:
# under pipefail, grep -q closing early would fail the writer with SIGPIPE.)

# Clients leave helpers behind for a moment (conmon runs `podman container cleanup`, the shims
# exit after their task): wait for whatever still uses the work dir, detach the storage mounts
# made in this private namespace, then remove it.
release_work_dir() {
  local w=$1
  for _ in $(seq 100); do pgrep -f "$w" >/dev/null || break; sleep 0.1; done
  pkill -9 -f "$w" 2>/dev/null || true
  for _ in 1 2 3; do
    awk -v w="$w" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$w" 2>/dev/null && return 0
    sleep 0.5
  done
  rm -rf "$w"
}

# Re-executes the calling script in a private mount namespace, then sets T (tsrunc), ROOTFS and a
# work dir W, with a tmpfs over /run so the client's sockets and state stay private.
# Usage: private_client_env "$0" "$@"   (arguments: TSRUNC ROOTFS)
private_client_env() {
  local script=$1; shift
  if [ "${TSRUNC_CLIENTS_PRIVATE:-}" != 1 ]; then
    exec unshare -m --propagation private env TSRUNC_CLIENTS_PRIVATE=1 "$script" "$@"
  fi
  T=$(readlink -f "$1"); ROOTFS=$(readlink -f "$2")
  W=$(mktemp -d /tmp/tsrunc-clients.XXXXXX)
  mount -t tmpfs tmpfs /run
}
