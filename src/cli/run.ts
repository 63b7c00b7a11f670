import type { Flags } from "./argv";
import { startInitEngine } from "../linux/engine";
import { flags as createFlags, createOptions, type CreateArgs } from "./create";

export const command = "run <id>";
export const describe = "create and start a container, wait for it, exit with its status";
export const flags: Flags = {
    ...createFlags,
    detach: { alias: "d", type: "boolean", default: false, describe: "detach from the container's process" },
    keep: { type: "boolean", default: false, describe: "do not delete the container after it exits" },
};
export async function handler(a: CreateArgs & { detach: boolean; keep: boolean }): Promise<void> {
  // the init engine first: it starts while the create path loads (linux/engine.ts)
  const engine = startInitEngine();
  const { runContainer } = await import("../container/run");
  const { lazySys } = await import("../sys");
  process.exitCode = await runContainer(lazySys(), { ...createOptions(a), engine, detach: a.detach, keep: a.keep });
}
