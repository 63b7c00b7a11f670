import type { Flags } from "./argv";
import type { GlobalArgs } from "./globals";

export const command = "kill <id> [signal]";
export const describe = "send a signal (default SIGTERM; a name or a number) to the container's init";
export const flags: Flags = { all: { alias: "a", type: "boolean", default: false, describe: "send the signal to every process of the container" } };
export async function handler(a: GlobalArgs & { id: string; signal?: string; all: boolean }): Promise<void> {
  const { killContainer, parseSignal } = await import("../container/lifecycle");
  const { lazySys } = await import("../sys");
  killContainer(lazySys(), a.root, a.id, parseSignal(a.signal === undefined ? undefined : String(a.signal)), a.all);
}
