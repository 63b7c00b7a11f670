import type { GlobalArgs } from "./globals";

export const command = "features";
export const describe = "print what this tsrunc supports, as runtime-spec features.md JSON";
export async function handler(_a: GlobalArgs): Promise<void> {
  const { features } = await import("../container/features");
  process.stdout.write(JSON.stringify(features(), null, 4) + "\n");
}
