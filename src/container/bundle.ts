// `tsrunc bundle`: a bundle from a rootfs tarball (an exported image or `tar -C rootfs -c .`),
// unpacked with the tar package: entries with absolute paths or ".." are refused, links are
// created as links and never followed while unpacking, so a hostile tarball stays inside.
import * as fs from "node:fs";
import * as path from "../pathname";
import { UsageError } from "../errors";
import { defaultSpec } from "../spec/default";

export async function makeBundle(tarball: string, bundle: string): Promise<string> {
  if (!fs.existsSync(tarball)) throw new UsageError(`bundle: ${JSON.stringify(tarball)} does not exist`);
  const rootfs = path.join(bundle, "rootfs");
  if (fs.existsSync(rootfs) && fs.readdirSync(rootfs).length) throw new UsageError(`bundle: ${rootfs} exists and is not empty`);
  fs.mkdirSync(rootfs, { recursive: true });
  const { x } = await import("tar");
  await x({ file: tarball, cwd: rootfs, preservePaths: false, preserveOwner: true, strict: true });
  const config = path.join(bundle, "config.json");
  if (!fs.existsSync(config)) {
    const spec = defaultSpec({ rootless: false });
    spec.process!.terminal = false;
    fs.writeFileSync(config, JSON.stringify(spec, null, "\t"));
  }
  return rootfs;
}
