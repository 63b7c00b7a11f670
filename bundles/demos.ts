// The seed demos as bundles tsrunc runs: `make demo-<name>` (bun bundles/demos.ts NAME TSRUNC ROOTFS).
// Each builds its bundle under /tmp from the busybox rootfs (fish from an image tarball), runs
// it with `tsrunc run`, and removes everything afterwards.
import * as fs from "node:fs";
import * as path from "node:path";

type Config = Record<string, any>;
const [name, tsruncArg, rootfsArg] = process.argv.slice(2);
const tsrunc = path.resolve(tsruncArg ?? "dist/tsrunc");
const busybox = path.resolve(rootfsArg ?? "test/.rootfs");
const work = fs.mkdtempSync(`/tmp/tsrunc-demo-${name}-`);
fs.chmodSync(work, 0o755); // a user namespace's root (host uid 100000) must reach the rootfs
const root = path.join(work, "state");
const ns = (...types: string[]) => types.map((type) => ({ type }));
const USERNS = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };

function sh(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdio: ["inherit", "inherit", "inherit"] });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
}

/** a bundle: config from `tsrunc spec`, rootfs copied from the busybox rootfs or unpacked from a tarball */
function bundle(edit: (c: Config) => void, fromTarball = false): string {
  const b = path.join(work, "bundle");
  fs.mkdirSync(b);
  if (fromTarball) {
    const img = path.join(work, "image.tar.gz");
    sh(["tar", "-C", busybox, "-czf", img, "."]); // stands in for an exported image
    sh([tsrunc, "bundle", "--bundle", b, img]);
    fs.rmSync(path.join(b, "config.json"));
  } else {
    fs.cpSync(busybox, path.join(b, "rootfs"), { recursive: true, verbatimSymlinks: true });
  }
  sh([tsrunc, "spec", "--bundle", b]);
  const c = JSON.parse(fs.readFileSync(path.join(b, "config.json"), "utf8"));
  c.root = { path: "rootfs", readonly: false };
  c.process.terminal = false;
  edit(c);
  fs.writeFileSync(path.join(b, "config.json"), JSON.stringify(c, null, 2));
  return b;
}

const DEMOS: Record<string, () => string> = {
  // an image tarball unpacked as the rootfs; cpu/memory limits; its own /proc and hostname
  fish: () => bundle((c) => {
    c.hostname = "container-fun-times";
    c.linux.namespaces = ns("pid", "mount", "uts", "ipc", "network");
    c.linux.resources = { ...c.linux.resources, cpu: { shares: 512 }, memory: { limit: 1000000000 } };
    c.process.args = ["sh", "-c", "echo \"hostname: $(hostname)\"; echo \"pid: $$\"; ps"];
  }, true),
  // every namespace, an unprivileged user namespace, limits as mydocker sets them
  mydocker: () => bundle((c) => {
    c.linux.namespaces = ns("pid", "mount", "uts", "ipc", "network", "user", "cgroup");
    Object.assign(c.linux, USERNS);
    c.linux.resources = {
      ...c.linux.resources, memory: { limit: 1024 ** 3 },
      cpu: { shares: 512 }, // a 50% setting: half of the default 1024 shares
      pids: { limit: 333 }, blockIO: { weight: 20 },
    };
    c.process.args = ["sh", "-c", "id; cat /proc/self/uid_map; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || true"];
  }),
  // limits, a veth pair to the host made by a createRuntime hook, seccomp, fewer caps, a bind mount
  "run-container": () => bundle((c) => {
    const share = path.join(work, "shared");
    fs.mkdirSync(share);
    fs.writeFileSync(path.join(share, "note"), "bound from the host\n");
    const veth = `tsd${process.pid % 10000}`;
    c.linux.resources = { ...c.linux.resources, memory: { limit: 64 * 1024 * 1024 }, cpu: { shares: 256 }, pids: { limit: 64 } };
    c.hooks = {
      createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p'); ip link add ${veth}h type veth peer name ${veth}c && ip link set ${veth}c netns $pid && ip addr add 127.1.0.1/30 dev ${veth}h && ip link set ${veth}h up`] }],
      poststop: [{ path: "/bin/sh", args: ["sh", "-c", `ip link del ${veth}h 2>/dev/null; true`] }],
    };
    c.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["reboot", "kexec_load", "swapon"], action: "SCMP_ACT_ERRNO" }] };
    c.process.capabilities = { bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"], effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"] };
    c.mounts.push({ destination: "/shared", type: "bind", source: share, options: ["rbind", "ro"] });
    c.process.args = ["sh", "-c", `ip link 2>/dev/null | grep -o '${veth}c' | head -1; cat /shared/note; grep -E 'Seccomp:|CapEff' /proc/self/status`];
  }),
  // pivot_root, then a paused and resumed container, and a time namespace with offsets
  slides: () => bundle((c) => {
    c.linux.namespaces.push({ type: "time" });
    c.linux.timeOffsets = { monotonic: { secs: 86400 * 365, nanosecs: 0 }, boottime: { secs: 86400, nanosecs: 0 } };
    c.process.args = ["sh", "-c", "cat /proc/uptime; cat /proc/self/timens_offsets; echo root mount: $(head -1 /proc/self/mountinfo)"];
  }),
  // the namespaces one at a time, each visible from inside
  scratch: () => bundle((c) => {
    c.linux.namespaces = ns("pid", "network", "mount", "uts", "ipc", "user");
    Object.assign(c.linux, USERNS);
    c.hostname = "scratch";
    c.process.args = ["sh", "-c", "echo pid: $$; hostname; ip link 2>/dev/null | grep -c '^[0-9]'; cat /proc/self/uid_map; ls /proc/self/ns"];
  }),
};

const make = DEMOS[name];
if (!make) { console.error(`unknown demo ${JSON.stringify(name)}: ${Object.keys(DEMOS).join(", ")}`); process.exit(2); }
let code = 1;
try {
  const b = make();
  console.log(`$ tsrunc run ${name}   # bundle ${b}`);
  const r = Bun.spawnSync([tsrunc, "--root", root, "run", "-b", b, `demo-${name}`], { stdio: ["inherit", "inherit", "inherit"] });
  if (name === "slides") {
    // pause/resume via the freezer, on a sleeping container from the same rootfs
    const b2 = path.join(work, "bundle2");
    fs.mkdirSync(b2);
    const c2 = JSON.parse(fs.readFileSync(path.join(b, "config.json"), "utf8"));
    c2.root.path = path.join(b, "rootfs");
    c2.process.args = ["sleep", "30"];
    fs.writeFileSync(path.join(b2, "config.json"), JSON.stringify(c2));
    sh([tsrunc, "--root", root, "run", "-d", "-b", b2, "demo-slides-2"]);
    sh([tsrunc, "--root", root, "pause", "demo-slides-2"]);
    console.log("paused:", JSON.parse(Bun.spawnSync([tsrunc, "--root", root, "state", "demo-slides-2"]).stdout.toString()).status);
    sh([tsrunc, "--root", root, "resume", "demo-slides-2"]);
    sh([tsrunc, "--root", root, "delete", "--force", "demo-slides-2"]);
  }
  code = r.exitCode ?? 1;
} finally {
  Bun.spawnSync([tsrunc, "--root", root, "delete", "--force", `demo-${name}`]);
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(code);
