import type { Flags } from "./argv";
import { print } from "./output";
import type { GlobalArgs } from "./globals";

export const command = "list";
export const describe = "list the containers under --root";
export const flags: Flags = {
    format: { alias: "f", type: "string", default: "table", choices: ["table", "json"], describe: "output format" },
    quiet: { alias: "q", type: "boolean", default: false, describe: "print only container ids" },
};

/** Go's text/tabwriter as runc uses it: min width 12, padding 1 */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(12, ...rows.map((r) => r[i].length + 1)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("")).join("\n") + "\n";
}

export async function handler(a: GlobalArgs & { format: string; quiet: boolean }): Promise<void> {
  const { listContainers } = await import("../container/query");
  const list = listContainers(a.root);
  if (a.quiet) { print(list.map((c) => c.id + "\n").join("")); return; }
  if (a.format === "json") { print((list.length ? JSON.stringify(list) : "null") + "\n"); return; }
  const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], ...list.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner])];
  print(table(rows));
}
