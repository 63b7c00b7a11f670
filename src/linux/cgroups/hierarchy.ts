// Finding the container's cgroup directory on every mounted hierarchy (v1 controllers, named
// hierarchies like name=systemd, and the cgroup2 unified mount), the way runc's fs driver does.
import { readFile } from "../file";
import * as path from "../../pathname";
import { filter } from "../../sys/arrays";

export interface Hierarchy {
  /** "memory", "cpu,cpuacct", "name=systemd" or "" for cgroup2 */
  key: string;
  mountpoint: string;
  /** root of the mount within the hierarchy (not "/" inside a cgroup namespace) */
  root: string;
  version: 1 | 2;
}

export interface CgroupDir { key: string; dir: string; version: 1 | 2 }

export function parseMountinfo(text: string): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const [fstype, , superOpts] = line.slice(sep + 3).split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const root = unescape(left[3]), mountpoint = unescape(left[4]);
    if (fstype === "cgroup2") { out.push({ key: "", mountpoint, root, version: 2 }); continue; }
    const opts = filter((superOpts ?? "").split(","), (o) => o !== "rw" && o !== "ro" && !o.startsWith("release_agent") && o !== "clone_children" && !o.startsWith("noprefix") && o !== "xattr" && o !== "cpuset_v2_mode");
    out.push({ key: opts.sort().join(","), mountpoint, root, version: 1 });
  }
  // the first mount of a hierarchy wins (a hierarchy may be mounted twice, e.g. inside a container)
  const seen = new Set<string>();
  return filter(out, (h) => (seen.has(h.key) ? false : (seen.add(h.key), true)));
}

/** mountinfo's octal escapes ("\\040" for a space); no regular expression (create's path: sys/arrays.ts) */
function unescape(s: string): string {
  if (!s.includes("\\")) return s;
  const octal = (i: number) => s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 55;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else out += s[i];
  }
  return out;
}

/** /proc/self/cgroup: "4:memory:/a/b" → key "memory" → "/a/b" (key "" for cgroup2) */
export function parseProcCgroup(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const a = line.indexOf(":"), b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    m.set(line.slice(a + 1, b).split(",").sort().join(","), line.slice(b + 1));
  }
  return m;
}

/**
 * runc's rule: an absolute cgroupsPath is taken from the hierarchy's root; a relative one (and the
 * default, the container id) is placed under the runtime's own cgroup in that hierarchy.
 */
export function cgroupDirs(hierarchies: Hierarchy[], own: Map<string, string>, cgroupsPath: string | undefined, id: string): CgroupDir[] {
  const p = cgroupsPath || id;
  return hierarchies.map((h) => dirIn(h, path.posix.join(path.isAbsolute(p) ? "/" : (own.get(h.key) ?? "/"), p)));
}

/** one cgroup path ("/system.slice/x.scope", as /proc/<pid>/cgroup shows it) on every hierarchy */
export function dirsAt(hierarchies: Hierarchy[], inHierarchy: string): CgroupDir[] {
  return hierarchies.map((h) => dirIn(h, inHierarchy));
}

function dirIn(h: Hierarchy, inHierarchy: string): CgroupDir {
  // inside a cgroup namespace the mount's root is the namespace root: strip it
  const under = h.root !== "/" && (inHierarchy === h.root || inHierarchy.startsWith(h.root + "/"));
  const rel = under ? inHierarchy.slice(h.root.length) || "/" : inHierarchy;
  return { key: h.key, dir: path.posix.join(h.mountpoint, rel), version: h.version };
}

export function hostHierarchies(): Hierarchy[] {
  return parseMountinfo(readFile("/proc/self/mountinfo"));
}

export function ownCgroups(): Map<string, string> {
  return parseProcCgroup(readFile("/proc/self/cgroup"));
}
