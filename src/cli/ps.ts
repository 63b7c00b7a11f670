import type { Flags } from "./argv";
import type { GlobalArgs } from "./globals";
import { print } from "./output";

export const command = "ps <id> [ps-args...]";
export const describe = "list the container's processes (--format json: an array of host pids)";
export const flags: Flags = {
  format: { alias: "f", type: "string", default: "table", choices: ["table", "json"], describe: "output format" },
};
export async function handler(a: GlobalArgs & { id: string; format: string; "ps-args"?: string[] }): Promise<void> {
  const { containerPids, psTable } = await import("../container/ps");
  const { readContainer } = await import("../container/query");
  const pids = containerPids(readContainer(a.root, a.id));
  print(a.format === "json" ? JSON.stringify(pids) + "\n" : psTable(pids, a["ps-args"] ?? []));
}
