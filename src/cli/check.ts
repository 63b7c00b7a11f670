import { fs } from "../linux/lazy-fs";
import * as path from "../pathname";
import type { Flags } from "./argv";
import type { GlobalArgs } from "./globals";
import { print } from "./output";

export const command = "check";
export const describe = "report what this host offers tsrunc (and, with --bundle, whether that config can run here)";
export const flags: Flags = { bundle: { alias: "b", type: "string", describe: "also check this bundle's config.json" } };
export async function handler(a: GlobalArgs & { bundle?: string }): Promise<void> {
  const { hostReport, bundleReport } = await import("../container/check");
  const lines = hostReport();
  if (a.bundle) lines.push(...bundleReport(JSON.parse(fs.readFileSync(path.join(a.bundle, "config.json"), "utf8"))));
  print(lines.map((l) => `${l.status.padEnd(8)}${l.what}${l.affects ? `  (${l.affects})` : ""}`).join("\n") + "\n");
  if (a.bundle && lines.some((l) => l.status === "MISSING" && l.affects.startsWith("create fails"))) process.exitCode = 1;
}
