import type { GlobalArgs } from "./globals";

export const command = "start <id>";
export const describe = "start a created container (runs the process given in config.json)";
export async function handler(a: GlobalArgs & { id: string }): Promise<void> {
  const { startContainer } = await import("../container/lifecycle");
  const { lazySys } = await import("../sys");
  startContainer(lazySys(), a.root, a.id);
}
