// Device access rules (linux.resources.devices) for the cgroup v1 devices controller. The
// config's rules come first, then the devices every container needs (runc's AllowedDevices),
// so a config that denies everything still gets /dev/null and a pty.
import * as path from "../../pathname";
import type { DeviceCgroup } from "../../spec/types";
import { fsIO, type CgroupIO } from "./fsio";

export const DEFAULT_ALLOWED: DeviceCgroup[] = [
  { allow: true, type: "c", access: "m" }, { allow: true, type: "b", access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" }, { allow: true, type: "c", major: 136, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
];

/** "c 1:3 rwm"; an absent major/minor is a wildcard, type "a" means all */
export function deviceRuleLine(r: DeviceCgroup): string {
  const type = r.type ?? "a";
  if (type === "a") return "a";
  const num = (n: number | undefined) => (n === undefined || n < 0 ? "*" : String(n));
  return `${type} ${num(r.major)}:${num(r.minor)} ${r.access ?? "rwm"}`;
}

/** [file, line] writes, in order, that turn the rules into v1 devices.allow/devices.deny */
export function v1DeviceWrites(rules: DeviceCgroup[] | undefined): [string, string][] {
  return [...(rules ?? []), ...DEFAULT_ALLOWED].map((r) => [r.allow ? "devices.allow" : "devices.deny", deviceRuleLine(r)]);
}

/** one rule per write: the kernel parses a single rule per write(2) */
export function applyV1Devices(dir: string, rules: DeviceCgroup[] | undefined, io: CgroupIO = fsIO): void {
  for (const [file, line] of v1DeviceWrites(rules)) io.write(path.join(dir, file), line);
}
