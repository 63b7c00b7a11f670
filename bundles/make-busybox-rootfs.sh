#!/bin/sh
# Builds a minimal rootfs from Debian's busybox-static: one static binary and its applet links.
set -eu
dest=${1:?usage: make-busybox-rootfs.sh DIR}
bb=$(command -v busybox) || { echo "busybox not found: apt-get install busybox-static" >&2; exit 1; }
if [ -x "$dest/bin/busybox" ] && cmp -s "$bb" "$dest/bin/busybox"; then exit 0; fi
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/proc" "$dest/sys" "$dest/dev" "$dest/tmp" "$dest/etc" "$dest/root"
cp "$bb" "$dest/bin/busybox"
for a in $("$dest/bin/busybox" --list); do [ -e "$dest/bin/$a" ] || ln -s busybox "$dest/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$dest/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$dest/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dest/etc/group"
chmod 1777 "$dest/tmp"
