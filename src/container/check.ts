// `tsrunc check`: will tsrunc (and a given config) work on this host? One line per fact,
// OK / MISSING / WARN, with what it affects, so a failure is understood before a create fails.
import { fs } from "../linux/lazy-fs";
import { hostHierarchies } from "../linux/cgroups";
import { defaultBusAddress, systemdRunning } from "../linux/cgroups/systemd";
import { CAP_NAMES } from "../linux/capabilities";
import { NS_PROC_NAME } from "../linux/namespaces";
import { hostFacts } from "./host";
import { unsupportedFields } from "./unsupported";
import type { Spec } from "../spec/types";
import { seccompLib } from "../sys/seccomp";

export interface CheckLine { status: "OK" | "MISSING" | "WARN"; what: string; affects: string }

const read = (p: string) => { try { return fs.readFileSync(p, "utf8").trim(); } catch { return ""; } };

export function hostReport(): CheckLine[] {
  const out: CheckLine[] = [];
  const add = (ok: boolean, what: string, affects: string, warn = false) => out.push({ status: ok ? "OK" : warn ? "WARN" : "MISSING", what, affects });
  const h = hostHierarchies();
  const v1 = h.filter((x) => x.version === 1).map((x) => x.key);
  const v2 = h.some((x) => x.version === 2);
  const v2ctrl = v2 ? read("/sys/fs/cgroup/cgroup.controllers") || read("/sys/fs/cgroup/unified/cgroup.controllers") : "";
  add(h.length > 0, `cgroups: ${v1.length && v2 ? "hybrid" : v1.length ? "v1" : "v2"} (v1: ${v1.join(" ") || "none"}; v2 controllers: ${v2ctrl || "none"})`, "linux.resources, pause/resume, update, events");
  add(systemdRunning(), `systemd running (D-Bus: ${defaultBusAddress()})`, "--systemd-cgroup", true);
  for (const [t, n] of Object.entries(NS_PROC_NAME)) add(fs.existsSync(`/proc/self/ns/${n}`), `${t} namespace`, `linux.namespaces ${t}`);
  const maxUserNs = Number(read("/proc/sys/user/max_user_namespaces") || "0");
  add(maxUserNs > 0, `user namespaces allowed (max_user_namespaces ${maxUserNs})`, "linux.uidMappings/gidMappings, rootless");
  const lsm = read("/sys/kernel/security/lsm");
  add(lsm.includes("apparmor"), `AppArmor (LSMs: ${lsm || "unknown"})`, "process.apparmorProfile", true);
  add(lsm.includes("selinux"), "SELinux", "process.selinuxLabel, linux.mountLabel", true);
  let libseccomp = "";
  try { libseccomp = seccompLib().version(); } catch { /* not installed */ }
  add(!!libseccomp && /Seccomp:/.test(read("/proc/self/status")), `seccomp filters (kernel) and libseccomp ${libseccomp || "missing"}`, "linux.seccomp");
  const bnd = BigInt("0x" + (/CapBnd:\s*([0-9a-f]+)/.exec(read("/proc/self/status"))?.[1] ?? "0"));
  const lacking = CAP_NAMES.filter((_, i) => !(bnd & (1n << BigInt(i))));
  add(lacking.length === 0, `capability bounding set${lacking.length ? ` lacks ${lacking.join(", ")}` : " is full"}`, "process.capabilities asking for those fail with EPERM", true);
  const limits = read("/proc/self/limits");
  for (const [name, label] of [["Max open files", "RLIMIT_NOFILE"], ["Max processes", "RLIMIT_NPROC"]]) {
    const m = new RegExp(`${name}\\s+(\\S+)\\s+(\\S+)`).exec(limits);
    out.push({ status: "OK", what: `${label} hard limit ${m?.[2] ?? "?"}`, affects: `process.rlimits ${label} above it fail with EPERM` });
  }
  const [maj, min] = read("/proc/sys/kernel/osrelease").split(".").map(Number);
  const kernelAtLeast = (a: number, b: number) => maj > a || (maj === a && min >= b);
  add(kernelAtLeast(5, 6), "openat2 (kernel 5.6)", "mount destinations resolved inside the rootfs (CVE-2021-30465)");
  add(kernelAtLeast(5, 12), "mount_setattr (kernel 5.12)", "recursive mount options (rro, ...), read-only paths");
  add(kernelAtLeast(5, 3), "pidfd (kernel 5.3)", "exact process tracking", true);
  add(fs.existsSync("/proc/self/ns/time"), "time namespace (kernel 5.6)", "linux.timeOffsets");
  add(fs.existsSync("/sys/fs/resctrl/info"), "resctrl mounted", "linux.intelRdt", true);
  return out;
}

/** the same facts against one config: what of it cannot work here */
export function bundleReport(spec: Spec): CheckLine[] {
  const out: CheckLine[] = unsupportedFields(spec).map((p) => ({ status: "MISSING", what: p, affects: "create fails" }));
  const facts = hostFacts();
  for (const n of spec.linux?.namespaces ?? []) {
    if (!facts.namespaces.has(n.type)) out.push({ status: "MISSING", what: `/linux/namespaces: ${n.type}`, affects: "create fails" });
  }
  const bnd = BigInt("0x" + (/CapBnd:\s*([0-9a-f]+)/.exec(read("/proc/self/status"))?.[1] ?? "0"));
  const caps = new Set(Object.values(spec.process?.capabilities ?? {}).flat());
  for (const c of caps) {
    const i = CAP_NAMES.indexOf(c);
    if (i >= 0 && !(bnd & (1n << BigInt(i)))) out.push({ status: "MISSING", what: `/process/capabilities: ${c} is not in this host's bounding set`, affects: "create fails with EPERM" });
  }
  if (!out.length) out.push({ status: "OK", what: "every field of this config can be applied here", affects: "" });
  return out;
}
