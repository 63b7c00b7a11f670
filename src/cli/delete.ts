import type { Flags } from "./argv";
import type { GlobalArgs } from "./globals";

export const command = "delete <id>";
export const describe = "delete a stopped container's resources (--force kills a running one first)";
export const flags: Flags = { force: { alias: "f", type: "boolean", default: false, describe: "kill the container if it still runs" } };
export async function handler(a: GlobalArgs & { id: string; force: boolean }): Promise<void> {
  const { deleteContainer } = await import("../container/lifecycle");
  const { lazySys } = await import("../sys");
  deleteContainer(lazySys(), a.root, a.id, a.force);
}
