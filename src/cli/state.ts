import type { GlobalArgs } from "./globals";
import { print } from "./output";

export const command = "state <id>";
export const describe = "print the container's state as JSON";
export async function handler(a: GlobalArgs & { id: string }): Promise<void> {
  const { containerState } = await import("../container/query");
  // through Sys (linux/file.ts says why)
  (await import("../sys")).realSys("verbs");
  print(JSON.stringify(containerState(a.root, a.id), null, 2) + "\n");
}
