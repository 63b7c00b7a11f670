// cgroup v2 io controller (cgroup-v2.rst "IO"), after runc's fs2/io.go: BFQ's io.bfq.weight
// takes the v1 weight as is; io.weight needs runc's 10..1000 → 1..10000 conversion; throttles
// are io.max "MAJ:MIN rbps=N" lines.
import type { Resources, ThrottleDevice } from "../../../spec/types";
import { blkioWeightToIoWeight } from "../convert";
import { CgroupFiles, fsIO, int, isSet, nonZero, toNum, UnsupportedResource, type CgroupIO } from "../fsio";
import { parsePSI, type BlkioEntry, type RuncStats } from "../stats";

const P = "/linux/resources/blockIO";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const b = r.blockIO;
  if (!b) return [];
  const f = new CgroupFiles(dir, io), out: UnsupportedResource[] = [];
  if (nonZero(b.leafWeight)) out.push(new UnsupportedResource(`${P}/leafWeight`, "leaf weights exist only in cgroup v1 (CFQ); this host uses cgroup v2"));
  (b.weightDevice ?? []).forEach((d, i) => {
    if (nonZero(d.leafWeight)) out.push(new UnsupportedResource(`${P}/weightDevice/${i}/leafWeight`, "leaf weights exist only in cgroup v1 (CFQ); this host uses cgroup v2"));
  });
  const bad = (w: number | null | undefined, ptr: string) => {
    if (nonZero(w) && (w < 10 || w > 1000)) out.push(new UnsupportedResource(`${P}/${ptr}`, `weight ${w} is outside 10..1000`));
  };
  bad(b.weight, "weight");
  (b.weightDevice ?? []).forEach((d, i) => bad(d.weight, `weightDevice/${i}/weight`));
  const wants = nonZero(b.weight) || (b.weightDevice ?? []).length > 0 || throttles(r).length > 0;
  if (wants && !f.has("io.max")) out.push(new UnsupportedResource(P, `needs the io controller, not enabled for ${dir} (see cgroup.subtree_control of its parent)`));
  else if ((nonZero(b.weight) || (b.weightDevice ?? []).some((d) => nonZero(d.weight))) && !f.has("io.bfq.weight") && !f.has("io.weight")) {
    out.push(new UnsupportedResource(`${P}/weight`, "needs io.weight or io.bfq.weight, not present on this host"));
  }
  return out;
}

function throttles(r: Resources): [string, ThrottleDevice][] {
  const b = r.blockIO;
  const pairs: [string, ThrottleDevice[] | null | undefined][] = [
    ["rbps", b?.throttleReadBpsDevice], ["wbps", b?.throttleWriteBpsDevice],
    ["riops", b?.throttleReadIOPSDevice], ["wiops", b?.throttleWriteIOPSDevice],
  ];
  return pairs.flatMap(([k, l]) => (isSet(l) ? l.map((d) => [k, d] as [string, ThrottleDevice]) : []));
}

/** one io.max line; a rate of 0 lifts the limit, as it does in v1 (the v2 word for that is "max") */
export function ioMaxLine(key: string, d: ThrottleDevice): string {
  return `${int(d.major)}:${int(d.minor)} ${key}=${d.rate === 0 ? "max" : int(d.rate)}`;
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const b = r.blockIO;
  if (!b) return;
  const f = new CgroupFiles(dir, io);
  // With BFQ as the device's scheduler, io.bfq.weight is what applies, in v1 units (1..1000).
  const bfq = f.has("io.bfq.weight");
  if (nonZero(b.weight)) {
    if (bfq) f.write("io.bfq.weight", int(b.weight));
    else f.write("io.weight", int(blkioWeightToIoWeight(b.weight)));
  }
  // per-device weights: "MAJ:MIN W" lines in the same file (cgroup-v2.rst io.weight format)
  for (const d of b.weightDevice ?? []) {
    if (!nonZero(d.weight)) continue;
    const dev = `${int(d.major)}:${int(d.minor)}`;
    if (bfq) f.write("io.bfq.weight", `${dev} ${int(d.weight)}`);
    else f.write("io.weight", `${dev} ${int(blkioWeightToIoWeight(d.weight))}`);
  }
  for (const [key, d] of throttles(r)) f.write("io.max", ioMaxLine(key, d));
}

/**
 * io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" → v1's tables: bytes as
 * ioServiceBytesRecursive Read/Write, ios as ioServicedRecursive (runc's statIo).
 */
export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  if (f.has("io.pressure")) s.blkio.psi = parsePSI(f.read("io.pressure"));
  if (!f.has("io.stat")) return;
  const bytes: BlkioEntry[] = [], ios: BlkioEntry[] = [];
  for (const line of f.read("io.stat").split("\n")) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? "");
    if (!m) continue;
    const [major, minor] = [toNum(m[1]), toNum(m[2])];
    for (const kv of kvs) {
      const [k, v] = kv.split("=");
      const table = k === "rbytes" || k === "wbytes" ? bytes : k === "rios" || k === "wios" ? ios : undefined;
      if (table) table.push({ major, minor, op: k.startsWith("r") ? "Read" : "Write", value: toNum(v) });
    }
  }
  s.blkio.ioServiceBytesRecursive = bytes;
  s.blkio.ioServicedRecursive = ios;
}
