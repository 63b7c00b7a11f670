# Shared by the client scripts.

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
