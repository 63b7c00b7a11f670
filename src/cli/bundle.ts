import type { Flags } from "./argv";
import type { GlobalArgs } from "./globals";
import { print } from "./output";

export const command = "bundle <tarball>";
export const describe = "make a bundle (rootfs/ and a default config.json) from a rootfs tarball";
export const flags: Flags = { bundle: { alias: "b", type: "string", default: ".", describe: "the bundle directory to fill" } };
export async function handler(a: GlobalArgs & { tarball: string; bundle: string }): Promise<void> {
  const { makeBundle } = await import("../container/bundle");
  print(`${await makeBundle(a.tarball, a.bundle)}\n`);
}
