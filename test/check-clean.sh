#!/bin/sh
# After the tests: no container state, cgroup or mount of tsrunc's tests may remain on the host.
left=""
for d in /run/tsrunc-test*; do [ -e "$d" ] && left="$left state:$d"; done
for c in /sys/fs/cgroup/*/tsrunc-test* /sys/fs/cgroup/*/*/*/tsrunc-test*; do [ -e "$c" ] && left="$left cgroup:$c"; done
grep -q tsrunc-test /proc/self/mountinfo && left="$left mounts:$(grep -c tsrunc-test /proc/self/mountinfo)"
if [ -n "$left" ]; then echo "host not clean after tests:$left" >&2; exit 1; fi
echo "host clean: no tsrunc-test state, cgroups or mounts left"
