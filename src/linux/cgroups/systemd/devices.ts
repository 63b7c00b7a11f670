// Device rules as systemd properties: DevicePolicy + DeviceAllow (systemd.resource-control(5)).
// systemd only knows allow lists, and re-applies them whenever it re-realizes the unit's cgroup
// (on `systemctl daemon-reload`, property changes), so whatever it is given must never be more
// permissive than the config. The exact rules are written through cgroupfs right after (v1
// devices.allow/deny, v2 the eBPF filter), as runc does.
import type { DeviceCgroup } from "../../../spec/types";
import { DEFAULT_ALLOWED } from "../devices";
import type { Property } from "./properties";
import { Variant } from "./wire";

interface Entry { type: "c" | "b"; major?: number; minor?: number; access: string }

const wild = (n: number | undefined) => n === undefined || n < 0;
const covers = (outer: number | undefined, inner: number | undefined) => wild(outer) || outer === inner;

/**
 * Replays the rules the way the kernel's v1 devices cgroup does: "a" resets to allow-all or
 * deny-all, then each rule adds to or takes from the list. Returns the allow list, or
 * "allow-all", or "deny-list" when denials on top of allow-all leave something systemd cannot say.
 */
export function simulateDeviceRules(rules: DeviceCgroup[]): Entry[] | "allow-all" | "deny-list" {
  let allowAll = true, denied = false;
  let entries: Entry[] = [];
  for (const r of rules) {
    const type = r.type ?? "a";
    if (type === "a") {
      allowAll = r.allow;
      denied = false;
      entries = [];
      continue;
    }
    if (type !== "c" && type !== "b") throw new Error(`/linux/resources/devices: unknown device type ${JSON.stringify(type)} (one of a, c, b)`);
    const access = r.access ?? "rwm";
    if (allowAll) {
      if (!r.allow) denied = true;
      continue;
    }
    if (r.allow) { entries.push({ type, major: r.major, minor: r.minor, access }); continue; }
    // a denial in an allow list: take its access from every entry it covers; an entry only
    // partly covered (a wildcard entry, a narrower denial) is dropped whole, the safe direction
    entries = entries.flatMap((e) => {
      if (e.type !== type) return [e];
      const exact = covers(r.major, e.major) && covers(r.minor, e.minor);
      const overlap = exact || ((wild(e.major) || covers(r.major, e.major)) && (wild(e.minor) || covers(r.minor, e.minor)));
      if (!overlap) return [e];
      if (!exact) return [];
      const left = [...e.access].filter((ch) => !access.includes(ch)).join("");
      return left ? [{ ...e, access: left }] : [];
    });
  }
  return allowAll ? (denied ? "deny-list" : "allow-all") : entries;
}

/** DeviceAllow's a(ss) path for an entry, or undefined when systemd has no syntax for it */
export function deviceAllowPath(e: Entry, version: number): string | undefined {
  const kind = e.type === "c" ? "char" : "block";
  if (wild(e.major)) return wild(e.minor) ? `${kind}-*` : undefined; // "*:n" has no systemd form
  if (wild(e.minor)) return version >= 240 ? `${kind}-${e.major}` : undefined;
  return `/dev/${kind}/${e.major}:${e.minor}`;
}

/** the config's rules, then the devices every container gets (the same list v1 devices.allow receives) */
export function deviceProperties(rules: DeviceCgroup[] | undefined, version: number): Property[] {
  const sim = simulateDeviceRules([...(rules ?? []), ...DEFAULT_ALLOWED]);
  const policy = (p: string, allow: [string, string][]): Property[] => [
    ["DevicePolicy", new Variant("s", p)],
    ["DeviceAllow", new Variant("a(ss)", allow)],
  ];
  // DevicePolicy=auto with an empty list is systemd's "everything"
  if (sim === "allow-all") return policy("auto", []);
  // a deny list: an empty strict policy until the cgroupfs rules land (runc does the same)
  if (sim === "deny-list") return policy("strict", []);
  const allow: [string, string][] = [];
  for (const e of sim) {
    const p = deviceAllowPath(e, version);
    if (p) allow.push([p, e.access]);
  }
  return policy("strict", allow);
}
