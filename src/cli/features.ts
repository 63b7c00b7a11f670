import type { GlobalArgs } from "./globals";
import { print } from "./output";

export const command = "features";
export const describe = "print what this tsrunc supports, as runtime-spec features.md JSON";
export async function handler(_a: GlobalArgs): Promise<void> {
  const { features } = await import("../container/features");
  print(JSON.stringify(features(), null, 4) + "\n");
}
