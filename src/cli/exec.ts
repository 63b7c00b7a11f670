import { fs } from "../linux/lazy-fs";
import * as path from "../pathname";
import type { Flags } from "./argv";
import type { GlobalArgs } from "./globals";
import type { Process } from "../spec/types";
import { UsageError } from "../errors";
import { lsmActive } from "../linux/lsm";

export const command = "exec <id> [command...]";
export const describe = "run a process in a running container";
export const flags: Flags = {
  process: { alias: "p", type: "string", describe: "path to a process.json (runtime-spec process) instead of the command" },
  tty: { alias: "t", type: "boolean", default: false, describe: "allocate a pseudo-TTY" },
  "console-socket": { type: "string", describe: "unix socket that receives the pty master" },
  detach: { alias: "d", type: "boolean", default: false, describe: "detach from the process" },
  "pid-file": { type: "string", describe: "file to write the process id to" },
  cwd: { type: "string", describe: "current working directory in the container" },
  env: { alias: "e", type: "string", describe: "set an environment variable (repeatable)", array: true },
  user: { alias: "u", type: "string", describe: "uid[:gid] to run as" },
  "additional-gids": { alias: "g", type: "string", describe: "additional gid (repeatable)", array: true },
  cap: { alias: "c", type: "string", describe: "add a capability (repeatable)", array: true },
  "no-new-privs": { type: "boolean", default: false, describe: "set no_new_privs" },
  apparmor: { type: "string", describe: "AppArmor profile for the process" },
  "process-label": { type: "string", describe: "SELinux label for the process" },
  "preserve-fds": { type: "number", default: 0, describe: "pass N additional fds (from 3) to the process" },
  "ignore-paused": { type: "boolean", default: false, describe: "allow exec in a paused container" },
};

export interface ExecArgs extends GlobalArgs {
  id: string; command: string[]; process?: string; tty: boolean; "console-socket"?: string; detach: boolean;
  "pid-file"?: string; cwd?: string; env?: string[]; user?: string; "additional-gids"?: string[]; cap?: string[];
  "no-new-privs": boolean; apparmor?: string; "process-label"?: string; "preserve-fds": number; "ignore-paused": boolean;
}

/** runc's rule: the container's own process is the base, the flags override it */
export function execProcess(base: Process, a: ExecArgs): Process {
  if (a.process) {
    const p = JSON.parse(fs.readFileSync(path.resolve(a.process), "utf8")) as Process;
    if (!p.args?.length) throw new UsageError(`${a.process}: process.args must have at least 1 item`);
    return p;
  }
  if (!a.command.length) throw new UsageError("exec: a command (or --process) is required");
  if (a.apparmor && !lsmActive("apparmor")) throw new UsageError("--apparmor: AppArmor profiles need the AppArmor LSM, which is not enabled on this host");
  if (a["process-label"] && !lsmActive("selinux")) throw new UsageError("--process-label: SELinux labels need the SELinux LSM, which is not enabled on this host");
  const env = [...(base.env ?? [])];
  for (const e of a.env ?? []) {
    const key = e.split("=")[0];
    const i = env.findIndex((x) => x.split("=")[0] === key);
    if (i >= 0) env[i] = e; else env.push(e);
  }
  const user = { ...base.user, additionalGids: base.user.additionalGids };
  if (a.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(a.user);
    if (!m) throw new UsageError(`--user ${JSON.stringify(a.user)}: must be uid[:gid] (numbers)`);
    user.uid = Number(m[1]);
    user.gid = m[2] !== undefined ? Number(m[2]) : user.gid;
  }
  if (a["additional-gids"]?.length) {
    user.additionalGids = a["additional-gids"].map((g) => {
      if (!/^\d+$/.test(g)) throw new UsageError(`--additional-gids ${JSON.stringify(g)}: must be a number`);
      return Number(g);
    });
  }
  const caps = { ...(base.capabilities ?? {}) };
  for (const c of a.cap ?? []) {
    const name = c.toUpperCase().startsWith("CAP_") ? c.toUpperCase() : `CAP_${c.toUpperCase()}`;
    for (const set of ["bounding", "effective", "permitted"] as const) caps[set] = [...new Set([...(caps[set] ?? []), name])];
  }
  return {
    ...base, terminal: a.tty, args: a.command, env, cwd: a.cwd ?? base.cwd, user, capabilities: caps,
    noNewPrivileges: a["no-new-privs"] || base.noNewPrivileges,
    apparmorProfile: a.apparmor || base.apparmorProfile, selinuxLabel: a["process-label"] || base.selinuxLabel,
  };
}

export async function handler(a: ExecArgs): Promise<void> {
  const { execInContainer, loadContainer } = await import("../container/exec");
  const { unknownCapabilities } = await import("../linux/capabilities");
  const { lazySys } = await import("../sys");
  const { spec } = loadContainer(a.root, a.id);
  const proc = execProcess(spec.process!, a);
  const bad = unknownCapabilities(proc.capabilities);
  if (bad.length) throw new UsageError(bad.join("; "));
  process.exitCode = await execInContainer(lazySys(), {
    root: a.root, id: a.id, process: proc, detach: a.detach, pidFile: a["pid-file"], preserveFds: a["preserve-fds"], ignorePaused: a["ignore-paused"], consoleSocket: a["console-socket"], seccomp: spec.linux?.seccomp as never,
  });
}
