import type { Flags } from "./argv";
import { startInitEngine } from "../linux/engine";
import type { GlobalArgs } from "./globals";

export const flags: Flags = {
  bundle: { alias: "b", type: "string", default: ".", describe: "path to the root of the bundle directory" },
  "pid-file": { type: "string", describe: "file to write the process id to" },
  "console-socket": { type: "string", describe: "unix socket that receives the pty master (with process.terminal)" },
  "no-pivot": { type: "boolean", default: false, describe: "do not use pivot_root to jail the process (for ramdisk roots)" },
  "no-new-keyring": { type: "boolean", default: false, describe: "do not create a new session keyring" },
  "preserve-fds": { type: "number", default: 0, describe: "pass N additional fds (from 3) to the container" },
};

export interface CreateArgs extends GlobalArgs {
  id: string; bundle: string; "pid-file"?: string; "console-socket"?: string;
  "no-pivot": boolean; "no-new-keyring": boolean; "preserve-fds": number;
}

export function createOptions(a: CreateArgs) {
  return {
    root: a.root, id: a.id, bundle: a.bundle, pidFile: a["pid-file"], consoleSocket: a["console-socket"],
    noPivot: a["no-pivot"], noNewKeyring: a["no-new-keyring"], preserveFds: a["preserve-fds"], systemdCgroup: a["systemd-cgroup"],
  };
}

export const command = "create <id>";
export const describe = "create a container";
export async function handler(a: CreateArgs): Promise<void> {
  // the init engine first: it starts while the create path loads (linux/engine.ts)
  const engine = startInitEngine();
  const { createContainer } = await import("../container/create");
  const { lazySys } = await import("../sys");
  createContainer(lazySys(), { ...createOptions(a), engine });
}
