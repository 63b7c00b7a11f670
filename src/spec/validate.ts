// Semantic checks of a schema-valid config: the rules a JSON Schema cannot say, after runc's
// libcontainer/configs/validate (validator.go, rootless.go) and its specconv. Every check is a
// pure function of (spec, host facts); probing the host happens in src/container. Like runc,
// some findings only warn (relative mount destinations), the rest refuse the config.
import type { Hook, IdMapping, Mount, NamespaceType, Spec } from "./types";

/** What the checks need to know about the host; src/container fills it in. */
export interface HostFacts {
  /** Namespace types the kernel supports (the entries of /proc/self/ns). */
  namespaces: ReadonlySet<NamespaceType>;
  /** tsrunc runs with euid != 0: runc's rootless rules apply. */
  rootless?: boolean;
  /** true: cgroup v2 unified mode; false: v1 or hybrid; undefined: not probed, checks skipped. */
  cgroupV2?: boolean;
  /** false when SELinux is disabled; undefined: not probed. */
  selinux?: boolean;
  /** Whether a namespace file is the runtime's own network namespace (same dev and inode). */
  isHostNetns?: (path: string) => boolean;
}

export interface Problem {
  pointer: string;
  message: string;
  warning?: boolean;
}

export type Check = (spec: Spec, host: HostFacts) => Problem[];

export interface ValidationResult {
  errors: string[];
  warnings: string[];
}

const err = (pointer: string, message: string): Problem => ({ pointer, message });
const warn = (pointer: string, message: string): Problem => ({ pointer, message, warning: true });

/** RFC 6901 escaping, so a sysctl key such as net/ipv4/ip_forward stays one token. */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}
const tok = pointerToken;

const nsList = (spec: Spec) => spec.linux?.namespaces ?? [];
const findNs = (spec: Spec, type: NamespaceType) => nsList(spec).find((n) => n.type === type);
/** A namespace of this type is created or joined (runc: Namespaces.Contains). */
const hasNs = (spec: Spec, type: NamespaceType) => findNs(spec, type) !== undefined;
/** A new namespace of this type is created, not joined by path. */
const newNs = (spec: Spec, type: NamespaceType) => {
  const n = findNs(spec, type);
  return n !== undefined && !n.path;
};
const addNs = (type: NamespaceType) => `add {"type": "${type}"} to /linux/namespaces`;
const isAbs = (p: string) => p.startsWith("/");

function root(spec: Spec): Problem[] {
  // config.md: root is required on every platform but Windows; runc: "root must be specified".
  if (!spec.root) return [err("/root", "is required: set root.path to the container's root filesystem")];
  if (spec.root.path === "") return [err("/root/path", "must not be empty")];
  return [];
}

function processCheck(spec: Spec): Problem[] {
  const p = spec.process;
  if (!p) return [err("/process", "is required: tsrunc needs a process to start")];
  const out: Problem[] = [];
  if (!p.args) out.push(err("/process/args", "is required: args[0] is the program to run"));
  // config.md: cwd MUST be an absolute path; runc refuses a relative one.
  if (!isAbs(p.cwd)) out.push(err("/process/cwd", `must be an absolute path, not ${JSON.stringify(p.cwd)}`));
  return out;
}

const KNOWN_NS = new Set<string>(["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"]);

function namespaces(spec: Spec, host: HostFacts): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, number>();
  nsList(spec).forEach((ns, i) => {
    const at = `/linux/namespaces/${i}`;
    const first = seen.get(ns.type);
    // config-linux.md: duplicated namespace types MUST generate an error.
    if (first !== undefined) out.push(err(at, `duplicate ${ns.type} namespace (first at /linux/namespaces/${first})`));
    else seen.set(ns.type, i);
    // An unknown type is the schema's finding; only known types are matched against the kernel.
    if (KNOWN_NS.has(ns.type) && !host.namespaces.has(ns.type)) {
      out.push(err(`${at}/type`, `this kernel does not support ${ns.type} namespaces`));
    }
    if (ns.path !== undefined && !isAbs(ns.path)) {
      out.push(err(`${at}/path`, `must be an absolute path, not ${JSON.stringify(ns.path)}`));
    }
  });
  return out;
}

function userNamespace(spec: Spec, host: HostFacts): Problem[] {
  const out: Problem[] = [];
  const l = spec.linux ?? {};
  const user = findNs(spec, "user");
  const maps: Array<["uidMappings" | "gidMappings", IdMapping[] | undefined]> = [
    ["uidMappings", l.uidMappings],
    ["gidMappings", l.gidMappings],
  ];
  if (!user) {
    for (const [name, m] of maps) {
      if (m && m.length > 0) out.push(err(`/linux/${name}`, `needs a user namespace: ${addNs("user")}`));
    }
    if (host.rootless) out.push(err("/linux/namespaces", `a rootless container needs a user namespace: ${addNs("user")}`));
    return out;
  }
  if (user.path) {
    // The joined namespace already has its maps; writing others is impossible (runc compares them).
    for (const [name, m] of maps) {
      if (m && m.length > 0) {
        out.push(warn(`/linux/${name}`, `ignored: the user namespace joined at ${user.path} keeps its own mappings`));
      }
    }
    return out;
  }
  for (const [name, m] of maps) {
    const id = name === "uidMappings" ? "uid" : "gid";
    // runc: "User namespaces enabled, but no uid mappings found."
    if (!m || m.length === 0) {
      out.push(err(`/linux/${name}`, `a new user namespace needs at least one ${id} mapping`));
      continue;
    }
    m.forEach((e, i) => {
      // user_namespaces(7): a zero-length range, or one past 2^32, makes the write to the map fail.
      if (e.size === 0) out.push(err(`/linux/${name}/${i}/size`, "must be at least 1"));
      else if (e.containerID + e.size > 2 ** 32 || e.hostID + e.size > 2 ** 32) {
        out.push(err(`/linux/${name}/${i}`, "the range runs past id 4294967295"));
      }
    });
  }
  return out;
}

function mapped(maps: IdMapping[] | undefined, id: number): boolean {
  return (maps ?? []).some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/** rootless.go: a uid=/gid= mount option must name an id the container's mappings cover. */
function rootless(spec: Spec, host: HostFacts): Problem[] {
  if (!host.rootless || !newNs(spec, "user")) return [];
  const out: Problem[] = [];
  (spec.mounts ?? []).forEach((m, i) => {
    (m.options ?? []).forEach((o, j) => {
      const match = /^(uid|gid)=(\d+)$/.exec(o);
      if (!match) return;
      const maps = match[1] === "uid" ? spec.linux?.uidMappings : spec.linux?.gidMappings;
      if (!mapped(maps, Number(match[2]))) {
        out.push(err(`/mounts/${i}/options/${j}`, `${o} is not mapped in the container's user namespace`));
      }
    });
  });
  return out;
}

function timeNamespace(spec: Spec): Problem[] {
  const offsets = spec.linux?.timeOffsets;
  if (!offsets) return [];
  // time_namespaces(7): offsets can only be written before the first process enters a new one.
  if (!newNs(spec, "time")) {
    return [err("/linux/timeOffsets", `needs a new time namespace: add {"type": "time"} without a path to /linux/namespaces`)];
  }
  return Object.keys(offsets)
    .filter((k) => k !== "monotonic" && k !== "boottime")
    .map((k) => err(`/linux/timeOffsets/${tok(k)}`, "only the monotonic and boottime clocks can be offset"));
}

function uts(spec: Spec): Problem[] {
  if (hasNs(spec, "uts")) return [];
  const out: Problem[] = [];
  if (spec.hostname) out.push(err("/hostname", `needs a UTS namespace, or it would rename the host: ${addNs("uts")}`));
  if (spec.domainname) out.push(err("/domainname", `needs a UTS namespace, or it would rename the host: ${addNs("uts")}`));
  return out;
}

function mountNamespace(spec: Spec): Problem[] {
  const out: Problem[] = [];
  for (const key of ["maskedPaths", "readonlyPaths"] as const) {
    const paths = spec.linux?.[key] ?? [];
    // Masking without a mount namespace would mask the host's own /proc entries.
    if (paths.length > 0 && !hasNs(spec, "mount")) {
      out.push(err(`/linux/${key}`, `needs a mount namespace: ${addNs("mount")}`));
    }
    paths.forEach((p, i) => {
      if (!isAbs(p)) out.push(err(`/linux/${key}/${i}`, `must be an absolute path, not ${JSON.stringify(p)}`));
    });
  }
  return out;
}

const IPC_SYSCTLS = new Set([
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
]);

/** sysctl.d(5): "/" may separate the parts; the first separator decides which one is used. */
function dotted(key: string): string {
  const i = key.search(/[./]/);
  if (i < 0 || key[i] === ".") return key;
  return key.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
}

/** /proc/sys is only partly namespaced: a key outside the config's namespaces would change the host. */
function sysctl(spec: Spec, host: HostFacts): Problem[] {
  const out: Problem[] = [];
  const net = findNs(spec, "network");
  const hostNet = !net || (net.path !== undefined && net.path !== "" && host.isHostNetns?.(net.path) === true);
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const s = dotted(key);
    const at = `/linux/sysctl/${tok(key)}`;
    if (IPC_SYSCTLS.has(s) || s.startsWith("fs.mqueue.")) {
      if (!hasNs(spec, "ipc")) out.push(err(at, `needs an IPC namespace: ${addNs("ipc")}`));
    } else if (s.startsWith("net.")) {
      if (hostNet) out.push(err(at, `needs a new network namespace, not the host's: ${addNs("network")}`));
    } else if (s === "kernel.hostname") {
      out.push(err(at, "conflicts with the hostname field: set /hostname instead"));
    } else if (s === "kernel.domainname") {
      if (!hasNs(spec, "uts")) out.push(err(at, `needs a UTS namespace: ${addNs("uts")}`));
    } else {
      out.push(err(at, "is not namespaced: setting it would change the host"));
    }
  }
  return out;
}

// Options runc (specconv) and crun turn into mount flags, propagation or attributes. Anything else
// goes to mount(2) as filesystem data, which a bind mount silently ignores.
const MOUNT_FLAGS = new Set(
  ("async atime bind defaults dev diratime dirsync exec iversion lazytime loud mand noatime nodev " +
    "nodiratime noexec noiversion nolazytime nomand norelatime nostrictatime nosuid nosymfollow rbind " +
    "relatime remount ro rw silent strictatime suid symfollow sync private rprivate shared rshared " +
    "slave rslave unbindable runbindable rro rrw rnosuid rsuid rnodev rdev rnoexec rexec rnodiratime " +
    "rdiratime rrelatime rnorelatime rnoatime ratime rstrictatime rnostrictatime rnosymfollow " +
    "rsymfollow tmpcopyup notmpcopyup idmap ridmap copy-symlink src-nofollow dest-nofollow").split(" "),
);
const isKnownMountOption = (o: string) => MOUNT_FLAGS.has(o) || /^r?idmap=/.test(o);
const isBind = (m: Mount) => m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");

function mounts(spec: Spec, host: HostFacts): Problem[] {
  const out: Problem[] = [];
  (spec.mounts ?? []).forEach((m, i) => {
    const at = `/mounts/${i}`;
    if (!isAbs(m.destination)) {
      // runc keeps accepting these for old configs and joins them onto "/".
      out.push(warn(`${at}/destination`, `relative path ${JSON.stringify(m.destination)} is deprecated; it is taken relative to /`));
    }
    const bind = isBind(m);
    if (bind) {
      (m.options ?? []).forEach((o, j) => {
        if (!isKnownMountOption(o)) {
          out.push(err(`${at}/options/${j}`, `a bind mount cannot apply the filesystem option ${JSON.stringify(o)}: remove it`));
        }
      });
    }
    const idmapped = (m.uidMappings?.length ?? 0) > 0 || (m.gidMappings?.length ?? 0) > 0;
    if (!idmapped) return;
    // mount_setattr(2): MOUNT_ATTR_IDMAP applies to a detached bind mount only.
    if (!bind) out.push(err(at, "id-mapped mounts must be bind mounts: add \"bind\" or \"rbind\" to options"));
    if (!m.uidMappings?.length) out.push(err(`${at}/uidMappings`, "is required when gidMappings is given"));
    if (!m.gidMappings?.length) out.push(err(`${at}/gidMappings`, "is required when uidMappings is given"));
    if (host.rootless) out.push(err(at, "id-mapped mounts need CAP_SYS_ADMIN in the initial user namespace: not available rootless"));
    if (bind && m.source !== undefined && !isAbs(m.source)) out.push(err(`${at}/source`, "must be an absolute path for an id-mapped mount"));
  });
  return out;
}

interface Scheduler { policy: string; nice?: number; priority?: number; runtime?: number; deadline?: number; period?: number }

/** sched_setattr(2): each field belongs to particular policies. */
function scheduler(spec: Spec): Problem[] {
  const s = spec.process?.scheduler as Scheduler | undefined;
  if (!s) return [];
  const out: Problem[] = [];
  const at = "/process/scheduler";
  if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) out.push(err(`${at}/nice`, "must be between -20 and 19"));
  if (s.priority && s.policy !== "SCHED_FIFO" && s.policy !== "SCHED_RR") {
    out.push(err(`${at}/priority`, "only applies to the SCHED_FIFO and SCHED_RR policies"));
  }
  if (s.policy !== "SCHED_DEADLINE") {
    for (const k of ["runtime", "deadline", "period"] as const) {
      if (s[k]) out.push(err(`${at}/${k}`, "only applies to the SCHED_DEADLINE policy"));
    }
  }
  return out;
}

function ioPriority(spec: Spec): Problem[] {
  const p = spec.process?.ioPriority?.priority;
  // ioprio_set(2): levels 0 (highest) to 7 for the RT and BE classes.
  return p !== undefined && (p < 0 || p > 7) ? [err("/process/ioPriority/priority", "must be between 0 and 7")] : [];
}

function selinux(spec: Spec, host: HostFacts): Problem[] {
  // the label first: host.selinux may be a probe (container/host.ts)
  if (!spec.process?.selinuxLabel || host.selinux !== false) return [];
  return [err("/process/selinuxLabel", "SELinux is disabled or not supported on this host: remove the label")];
}

function intelRdt(spec: Spec): Problem[] {
  const id = spec.linux?.intelRdt?.closID;
  // closID names a directory under /sys/fs/resctrl: it must not escape it.
  if (typeof id === "string" && (id === "." || id === ".." || id.includes("/"))) {
    return [err("/linux/intelRdt/closID", `${JSON.stringify(id)} is not a valid directory name`)];
  }
  return [];
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function cgroups(spec: Spec, host: HostFacts): Problem[] {
  const r = spec.linux?.resources;
  if (!r) return [];
  const out: Problem[] = [];
  if (r.unified && Object.keys(r.unified).length > 0 && host.cgroupV2 === false) {
    out.push(err("/linux/resources/unified", "needs cgroup v2 (unified hierarchy), which this host does not use"));
  }
  const limit = num(r.memory?.limit) ?? 0;
  const swap = num(r.memory?.swap) ?? 0;
  // cgroup v2 has memory.swap.max (swap alone) where v1 had memsw (memory + swap): runc converts
  // swap - limit, which only makes sense for a positive limit no bigger than swap. swap is tested
  // first: host.cgroupV2 may be a probe.
  if (swap > 0 && host.cgroupV2 === true) {
    if (limit <= 0) out.push(err("/linux/resources/memory/swap", "cannot be set without a memory limit"));
    else if (swap < limit) out.push(err("/linux/resources/memory/swap", "must be at least the memory limit (it counts memory + swap)"));
  }
  const quota = num(r.cpu?.quota);
  const burst = num(r.cpu?.burst);
  if (quota !== undefined && burst !== undefined && quota > 0 && burst > quota) {
    out.push(err("/linux/resources/cpu/burst", "must not be larger than the cpu quota"));
  }
  return out;
}

/** Interface names as the kernel accepts them (dev_valid_name): IFNAMSIZ-1 bytes, no "/" or blanks. */
function badIfName(n: string): boolean {
  return n === "" || n === "." || n === ".." || n.length > 15 || /[/\s:]/.test(n);
}

function netDevices(spec: Spec, host: HostFacts): Problem[] {
  const devs = spec.linux?.netDevices;
  if (!devs || Object.keys(devs).length === 0) return [];
  const out: Problem[] = [];
  const net = findNs(spec, "network");
  if (!net || (net.path && host.isHostNetns?.(net.path) === true)) {
    out.push(err("/linux/netDevices", `moving devices needs a network namespace other than the host's: ${addNs("network")}`));
  }
  for (const [hostName, dev] of Object.entries(devs)) {
    const at = `/linux/netDevices/${tok(hostName)}`;
    if (badIfName(hostName)) out.push(err(at, `${JSON.stringify(hostName)} is not a valid interface name`));
    if (dev.name !== undefined && dev.name !== "" && badIfName(dev.name)) {
      out.push(err(`${at}/name`, `${JSON.stringify(dev.name)} is not a valid interface name`));
    }
  }
  return out;
}

interface MemoryPolicy { mode: string; nodes?: string; flags?: string[] }

/** set_mempolicy(2) rules the kernel would report as a bare EINVAL. */
function memoryPolicy(spec: Spec): Problem[] {
  const mp = spec.linux?.memoryPolicy as MemoryPolicy | undefined;
  if (!mp) return [];
  const out: Problem[] = [];
  const at = "/linux/memoryPolicy";
  const flags = mp.flags ?? [];
  const nodes = (mp.nodes ?? "").trim();
  if (flags.includes("MPOL_F_STATIC_NODES") && flags.includes("MPOL_F_RELATIVE_NODES")) {
    out.push(err(`${at}/flags`, "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"));
  }
  if (flags.includes("MPOL_F_NUMA_BALANCING") && mp.mode !== "MPOL_BIND") {
    out.push(err(`${at}/flags`, "MPOL_F_NUMA_BALANCING only applies to MPOL_BIND"));
  }
  if ((mp.mode === "MPOL_DEFAULT" || mp.mode === "MPOL_LOCAL") && nodes !== "") {
    out.push(err(`${at}/nodes`, `must be empty for ${mp.mode}`));
  }
  if (["MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED_MANY"].includes(mp.mode) && nodes === "") {
    out.push(err(`${at}/nodes`, `is required for ${mp.mode}`));
  }
  return out;
}

function paths(spec: Spec): Problem[] {
  const out: Problem[] = [];
  // config.md: a hook path MUST be absolute (it is run without a PATH search).
  for (const [stage, hooks] of Object.entries(spec.hooks ?? {}) as Array<[string, Hook[] | undefined]>) {
    (hooks ?? []).forEach((h, i) => {
      if (!isAbs(h.path)) out.push(err(`/hooks/${stage}/${i}/path`, `must be an absolute path, not ${JSON.stringify(h.path)}`));
    });
  }
  (spec.linux?.devices ?? []).forEach((d, i) => {
    if (!isAbs(d.path)) out.push(err(`/linux/devices/${i}/path`, `must be an absolute path, not ${JSON.stringify(d.path)}`));
  });
  return out;
}

/** The semantic checks by name, in the order their findings are reported. */
export const checks: Record<string, Check> = {
  root,
  process: processCheck,
  namespaces,
  userNamespace,
  rootless,
  timeNamespace,
  uts,
  mountNamespace,
  sysctl,
  mounts,
  scheduler,
  ioPriority,
  selinux,
  intelRdt,
  cgroups,
  netDevices,
  memoryPolicy,
  paths,
};

/**
 * Runs every check. With `shapeChecked: false` (the schema already failed) a check that trips over
 * a value of the wrong type is skipped instead of crashing: the schema errors already say why.
 */
export function validateSpec(spec: Spec, host: HostFacts, opts: { shapeChecked?: boolean } = {}): ValidationResult {
  const result: ValidationResult = { errors: [], warnings: [] };
  for (const check of Object.values(checks)) {
    let found: Problem[];
    try {
      found = check(spec, host);
    } catch (e) {
      if (opts.shapeChecked === false && e instanceof TypeError) continue;
      throw e;
    }
    for (const p of found) (p.warning ? result.warnings : result.errors).push(`${p.pointer}: ${p.message}`);
  }
  return result;
}

export { validateId } from "./id";
