// The config that `tsrunc spec` writes: the same document as `runc spec` (runc 1.1's
// libcontainer/specconv/example.go), with this runtime's spec version. Key order follows runc's
// output so the two files diff cleanly.
import type { Mount, Spec } from "./types";
import { SPEC_VERSION } from "./version";

export interface DefaultSpecOptions {
  rootless: boolean;
  /** Host ids mapped to root in the rootless config; default: this process's euid/egid, like runc. */
  uid?: number;
  gid?: number;
}

const CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];

function mounts(rootless: boolean): Mount[] {
  const devptsOptions = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"];
  // gid=5 (tty) may not be mapped in a rootless user namespace, and the kernel refuses an unmapped gid.
  if (!rootless) devptsOptions.push("gid=5");
  return [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: devptsOptions },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    // Without a new network namespace sysfs cannot be mounted afresh (sysfs is tied to the netns
    // of the mounter), so the rootless config binds the host's /sys instead.
    rootless
      ? { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] }
      : { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
  ];
}

/** A new default config.json, as `runc spec` (or `runc spec --rootless`) writes it. */
export function defaultSpec(opts: DefaultSpecOptions): Spec {
  const { rootless } = opts;
  const linux: NonNullable<Spec["linux"]> = {};
  if (rootless) {
    const uid = opts.uid ?? process.geteuid?.() ?? 0;
    const gid = opts.gid ?? process.getegid?.() ?? 0;
    linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
    linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  } else {
    // Rootless containers cannot use the devices cgroup; runc's rootless config drops it.
    linux.resources = { devices: [{ allow: false, access: "rwm" }] };
  }
  // A rootless container keeps the host's network: it could not configure a new one anyway.
  linux.namespaces = rootless
    ? [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "user" }]
    : [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  linux.maskedPaths = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  ];
  linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS], ambient: [...CAPS] },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "runc",
    mounts: mounts(rootless),
    linux,
  };
}
