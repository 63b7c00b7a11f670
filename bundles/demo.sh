#!/bin/sh
# make demo: one busybox container that shows what it sees from the inside.
set -eu
tsrunc=$(readlink -f "${1:?tsrunc binary}"); rootfs=$(readlink -f "${2:?rootfs}")
b=$(mktemp -d /tmp/tsrunc-demo.XXXXXX)
root=$b/state
trap 'rm -rf "$b"' EXIT
cd "$b"
"$tsrunc" spec
node -e '
const fs = require("fs"); const c = JSON.parse(fs.readFileSync("config.json"));
c.root = { path: process.argv[1], readonly: true };
c.hostname = "tsrunc-demo";
c.process.terminal = false;
c.process.args = ["sh", "-c", "echo \"hostname: $(hostname)\"; echo \"id: $(id)\"; echo \"PID 1: $(cat /proc/1/cmdline | tr \"\\0\" \" \")\"; echo mounts:; cat /proc/mounts"];
fs.writeFileSync("config.json", JSON.stringify(c, null, 2));' "$rootfs"
echo "\$ tsrunc run demo"
"$tsrunc" --root "$root" run demo
