import { fs } from "../linux/lazy-fs";
import * as path from "../pathname";
import type { Flags } from "./argv";
import { UsageError } from "../errors";
import type { GlobalArgs } from "./globals";

export const command = "spec";
export const describe = "write a default config.json into the bundle directory";
export const flags: Flags = {
    bundle: { alias: "b", type: "string", default: ".", describe: "path to the root of the bundle directory" },
    rootless: { type: "boolean", default: false, describe: "a spec for a rootless container (user namespace, no cgroup limits)" },
};
export async function handler(a: GlobalArgs & { bundle: string; rootless: boolean | string }): Promise<void> {
  const { defaultSpec } = await import("../spec/default");
  const file = path.join(a.bundle, "config.json");
  if (fs.existsSync(file)) throw new UsageError(`File ${file} exists. Remove it first`);
  const rootless = String(a.rootless) === "true";
  fs.writeFileSync(file, JSON.stringify(defaultSpec({ rootless }), null, "\t"), { mode: 0o666 });
}
