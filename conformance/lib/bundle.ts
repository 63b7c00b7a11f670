// Bundles (bundle.md): a directory with config.json and a root filesystem. The default config is
// the suite's own, runtime-independent: the document `runc spec` writes, with terminal false and
// an absolute, shared, read-only busybox rootfs. Cases change only what their requirement needs.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

export type Config = Record<string, any>;

/** the suite's work area; the shared rootfs is kept between runs (it is rebuilt when busybox changes) */
export const WORK = "/tmp/tsrunc-conf";
export const ROOTFS = path.join(WORK, "rootfs");

/**
 * The bundles declare 1.1.0: the fields the cases use are defined by 1.1.0 or earlier, and crun
 * 1.8.1 refuses any ociVersion past 1.1 ("unknown version specified"). One case
 * (config.ociVersion.1.3) checks that a 1.3.0 bundle is accepted.
 */
export const OCI_VERSION = "1.1.0";

export function ensureRootfs(): void {
  const script = path.resolve(import.meta.dir, "../../bundles/make-busybox-rootfs.sh");
  const r = spawnSync("sh", [script, ROOTFS], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cannot build the busybox rootfs: ${r.stderr.trim()}`);
}

const CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

export function defaultConfig(): Config {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["sleep", "600"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root"],
      cwd: "/",
      // no ambient set: runc's default lists ambient capabilities without inheritable ones,
      // which the kernel cannot raise (PR_CAP_AMBIENT_RAISE needs both)
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS] },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: ROOTFS, readonly: true },
    hostname: "tsrunc-conf",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
      { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
      // a writable scratch area: the rootfs is shared and read-only
      { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=16m"] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }],
      maskedPaths: [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

/** writes dir/config.json from the default config changed by `edit` */
export function writeBundle(dir: string, edit: (c: Config) => void = () => {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const c = defaultConfig();
  edit(c);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(c, null, 2));
  return dir;
}

/** a private, writable copy of the busybox rootfs (for cases that plant files or write to /) */
export function copyRootfs(dest: string): string {
  fs.cpSync(ROOTFS, dest, { recursive: true, verbatimSymlinks: true });
  return dest;
}

export function setNamespace(c: Config, type: string, nsPath?: string): void {
  c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== type);
  c.linux.namespaces.push(nsPath ? { type, path: nsPath } : { type });
}

export function dropNamespace(c: Config, type: string): void {
  c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== type);
}
