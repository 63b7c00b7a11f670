// Global flags shared by every subcommand (runc's names and defaults).
import { fs } from "../linux/lazy-fs";
import { UsageError } from "../errors";
import { DEFAULT_ROOT } from "../state/state";
import type { Flags } from "./argv";

export interface GlobalArgs {
  root: string;
  log?: string;
  "log-format": string;
  debug: boolean;
  "systemd-cgroup": boolean;
  rootless: string;
}

export const globalOptions: Flags = {
  root: { type: "string", default: DEFAULT_ROOT, describe: "root directory for storage of container state (tmpfs recommended)", global: true },
  log: { type: "string", describe: "log file path (default: stderr)", global: true },
  "log-format": { type: "string", default: "text", choices: ["text", "json"], describe: "log format", global: true },
  debug: { type: "boolean", default: false, describe: "enable debug logging, with a timeline of each step", global: true },
  "systemd-cgroup": { type: "boolean", default: false, describe: "manage cgroups through systemd (slice:prefix:name cgroupsPath)", global: true },
  rootless: { type: "string", default: "auto", describe: "ignore cgroup permission errors (true, false or auto)", global: true },
};

export function checkGlobals(a: GlobalArgs): void {
  // runc's check (sd_booted(3)); an unreachable bus is reported by the driver, naming the address
  if (a["systemd-cgroup"] && !fs.existsSync("/run/systemd/system")) {
    throw new UsageError("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); use the cgroupfs driver");
  }
  const r = String(a.rootless);
  if (r !== "true" && r !== "false" && r !== "auto") throw new UsageError(`--rootless: must be true, false or auto, not ${JSON.stringify(a.rootless)}`);
}
