// Host-side observation: /proc readers, mountinfo, capabilities, cgroup v1 files, and the facts
// that decide a SKIP. A requirement is skipped only when the host cannot show it (the kernel
// feature, LSM or controller is absent), never because a runtime lacks it.
import * as fs from "node:fs";
import * as path from "node:path";

export function readText(file: string): string {
  return fs.readFileSync(file, "utf8");
}

export function tryRead(file: string): string | undefined {
  try { return fs.readFileSync(file, "utf8"); } catch { return undefined; }
}

export function procFile(pid: number | "self", file: string): string {
  return readText(`/proc/${pid}/${file}`);
}

/** a field of /proc/<pid>/status, e.g. "Uid" → "0\t0\t0\t0" (trimmed) */
export function statusField(pid: number | "self", field: string): string {
  const line = procFile(pid, "status").split("\n").find((l) => l.startsWith(field + ":"));
  if (line === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return line.slice(field.length + 1).trim();
}

export function nsLink(pid: number | "self", ns: string): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
}

export function alive(pid: number): boolean {
  if (!pid || pid <= 0) return false;
  try {
    // a zombie still has /proc/<pid>; it no longer runs the container's program
    return !/^State:\s+Z/m.test(procFile(pid, "status"));
  } catch { return false; }
}

export interface MountEntry {
  id: number; parent: number; majmin: string; root: string; mountPoint: string;
  options: string[]; optional: string[]; fsType: string; source: string; superOptions: string[];
}

/** parses /proc/<pid>/mountinfo (proc(5)); mount points are as the process sees them */
export function mountinfo(pid: number | "self"): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return procFile(pid, "mountinfo").trim().split("\n").map((line) => {
    const [left, right] = line.split(" - ");
    const f = left.split(" ");
    const r = right.split(" ");
    return {
      id: Number(f[0]), parent: Number(f[1]), majmin: f[2], root: unescape(f[3]), mountPoint: unescape(f[4]),
      options: f[5].split(","), optional: f.slice(6), fsType: r[0], source: unescape(r[1]), superOptions: (r[2] ?? "").split(","),
    };
  });
}

/** the topmost (last listed) mount at a mount point, as the process sees it */
export function mountAt(pid: number, mountPoint: string): MountEntry | undefined {
  return mountinfo(pid).filter((m) => m.mountPoint === mountPoint).pop();
}

// capability(7) numbers, for decoding the Cap* masks of /proc/<pid>/status
export const CAPS = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
  "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
  "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

/** the names in a Cap* mask of /proc/<pid>/status, sorted */
export function capNames(pid: number, field: "CapInh" | "CapPrm" | "CapEff" | "CapBnd" | "CapAmb"): string[] {
  const mask = BigInt("0x" + statusField(pid, field));
  return CAPS.filter((_, i) => (mask >> BigInt(i)) & 1n).sort();
}

/** /proc/<pid>/limits as { "Max open files": [soft, hard] } with "unlimited" kept as a string */
export function limits(pid: number): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const line of procFile(pid, "limits").split("\n").slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1].trim()] = [m[2], m[3]];
  }
  return out;
}

/** v1 hierarchies and the unified mount as the runner sees them (after any private-ns unmount) */
export function cgroupMounts(): { v1: Record<string, string>; unified?: string } {
  const v1: Record<string, string> = {};
  let unified: string | undefined;
  for (const m of mountinfo("self")) {
    if (m.fsType === "cgroup2") unified = m.mountPoint;
    if (m.fsType !== "cgroup") continue;
    for (const o of m.superOptions) {
      if (["rw", "ro"].includes(o) || o.startsWith("release_agent")) continue;
      v1[o] = m.mountPoint;
    }
  }
  return { v1, unified };
}

/** the cgroup path of a process in a v1 controller's hierarchy (from /proc/<pid>/cgroup) */
export function cgroupOf(pid: number, controller: string): string | undefined {
  for (const line of procFile(pid, "cgroup").trim().split("\n")) {
    const [, ctrls, p] = line.split(":");
    if (ctrls.split(",").includes(controller)) return p;
  }
  return undefined;
}

/** a file of the v1 cgroup a process is in, e.g. cgroupFile(pid, "memory", "memory.limit_in_bytes") */
export function cgroupFile(pid: number, controller: string, file: string): string {
  const mnt = cgroupMounts().v1[controller];
  const p = cgroupOf(pid, controller);
  if (!mnt || p === undefined) throw new Error(`process ${pid} has no ${controller} cgroup`);
  return readText(path.join(mnt, p, file)).trim();
}

export interface HostFacts {
  apparmor: boolean;
  selinux: boolean;
  systemd: boolean;
  resctrl: boolean;
  timens: boolean;
  v1: Record<string, string>;
  unifiedControllers: string[];
  /** "maj:min" of a whole block disk, for blkio throttle rules */
  blockDevice?: string;
  /** the cgroup v1 files this kernel offers, by "controller/file" */
  has(controller: string, file: string): boolean;
}

export function hostFacts(): HostFacts {
  const { v1, unified } = cgroupMounts();
  const unifiedControllers = unified ? (tryRead(path.join(unified, "cgroup.controllers")) ?? "").trim().split(/\s+/).filter(Boolean) : [];
  const resctrl = mountinfo("self").some((m) => m.fsType === "resctrl");
  let blockDevice: string | undefined;
  for (const d of fs.existsSync("/sys/block") ? fs.readdirSync("/sys/block") : []) {
    if (/^(loop|ram|zram|nbd|sr)/.test(d)) continue;
    blockDevice = tryRead(`/sys/block/${d}/dev`)?.trim();
    if (blockDevice) break;
  }
  return {
    apparmor: fs.existsSync("/sys/kernel/security/apparmor"),
    selinux: fs.existsSync("/sys/fs/selinux/enforce"),
    systemd: fs.existsSync("/run/systemd/system"),
    resctrl,
    timens: fs.existsSync("/proc/self/ns/time"),
    v1,
    unifiedControllers,
    blockDevice,
    has: (controller, file) => !!v1[controller] && fs.existsSync(path.join(v1[controller], file)),
  };
}

/** why a v1 resource cannot be tested here, or undefined when it can */
export function needV1(h: HostFacts, controller: string, file?: string): string | undefined {
  if (!h.v1[controller]) {
    const v2 = h.unifiedControllers.includes(controller) ? " (the controller exists only in the cgroup v2 hierarchy, unused on this hybrid host)" : "";
    return `the ${controller} cgroup v1 controller is not mounted on this host${v2}`;
  }
  if (file && !h.has(controller, file)) return `this kernel's ${controller} controller has no ${file}`;
  return undefined;
}
