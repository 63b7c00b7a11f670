// cgroup v1 blkio controller (Documentation/admin-guide/cgroup-v1/blkio-controller.rst), runc's
// fs/blkio.go. Proportional weights come from the I/O scheduler: CFQ's blkio.weight on old
// kernels, BFQ's blkio.bfq.weight since CFQ's removal (5.0); throttling is scheduler-independent.
import type { Resources, ThrottleDevice } from "../../../spec/types";
import { CgroupFiles, fsIO, int, isSet, nonZero, toNum, UnsupportedResource, type CgroupIO } from "../fsio";
import type { BlkioEntry, RuncStats } from "../stats";

const P = "/linux/resources/blockIO";

/** runc's detectWeightFilenames: CFQ's names when blkio.weight exists, otherwise BFQ's */
function weightFiles(f: CgroupFiles): { weight: string; device: string } {
  return f.has("blkio.weight") ? { weight: "blkio.weight", device: "blkio.weight_device" } : { weight: "blkio.bfq.weight", device: "blkio.bfq.weight_device" };
}

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  const b = r.blockIO;
  if (!b) return [];
  const f = new CgroupFiles(dir, io), w = weightFiles(f), out: UnsupportedResource[] = [];
  const need = (ptr: string, file: string, why: string) => { if (!f.has(file)) out.push(new UnsupportedResource(`${P}/${ptr}`, why)); };
  const sched = "(the CFQ or BFQ I/O scheduler's cgroup files), not present on this host";
  if (nonZero(b.weight)) need("weight", w.weight, `needs ${w.weight} ${sched}`);
  if (nonZero(b.leafWeight)) need("leafWeight", "blkio.leaf_weight", `needs blkio.leaf_weight (CFQ only), not present on this host`);
  (b.weightDevice ?? []).forEach((d, i) => {
    if (nonZero(d.weight)) need(`weightDevice/${i}/weight`, w.device, `needs ${w.device} ${sched}`);
    if (nonZero(d.leafWeight)) need(`weightDevice/${i}/leafWeight`, "blkio.leaf_weight_device", "needs blkio.leaf_weight_device (CFQ only), not present on this host");
  });
  return out;
}

/** "8:0 1048576": one device per write (the kernel parses one rule per write) */
const devRate = (d: ThrottleDevice) => `${int(d.major)}:${int(d.minor)} ${int(d.rate)}`;

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const b = r.blockIO;
  if (!b) return;
  const f = new CgroupFiles(dir, io), w = weightFiles(f);
  if (nonZero(b.weight)) f.write(w.weight, int(b.weight));
  if (nonZero(b.leafWeight)) f.write("blkio.leaf_weight", int(b.leafWeight));
  for (const d of b.weightDevice ?? []) {
    if (nonZero(d.weight)) f.write(w.device, `${int(d.major)}:${int(d.minor)} ${int(d.weight)}`);
    if (nonZero(d.leafWeight)) f.write("blkio.leaf_weight_device", `${int(d.major)}:${int(d.minor)} ${int(d.leafWeight)}`);
  }
  // a rate of 0 removes the device's limit (blkio-controller.rst)
  const throttles: [string, ThrottleDevice[] | null | undefined][] = [
    ["blkio.throttle.read_bps_device", b.throttleReadBpsDevice], ["blkio.throttle.write_bps_device", b.throttleWriteBpsDevice],
    ["blkio.throttle.read_iops_device", b.throttleReadIOPSDevice], ["blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice],
  ];
  for (const [file, list] of throttles) if (isSet(list)) for (const d of list) f.write(file, devRate(d));
}

/** "8:0 Read 100" / "8:0 1024" lines; the "Total N" summary line is skipped (runc's getBlkioStat) */
export function parseBlkioStat(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/[\s:]+/).filter(Boolean);
    if (fields.length < 3) continue;
    const [major, minor] = [toNum(fields[0]), toNum(fields[1])];
    out.push(fields.length === 4 ? { major, minor, op: fields[2], value: toNum(fields[3]) } : { major, minor, op: "", value: toNum(fields[2]) });
  }
  return out;
}

type BlkioKey = Exclude<keyof RuncStats["blkio"], "psi">;

// runc's GetStats tries these groups in order and takes the first whose first file has entries:
// BFQ with debug stats, BFQ, CFQ, throttling (recursive), throttling.
const GROUPS: [string, BlkioKey][][] = [
  [["blkio.bfq.sectors_recursive", "sectorsRecursive"], ["blkio.bfq.io_service_time_recursive", "ioServiceTimeRecursive"],
    ["blkio.bfq.io_wait_time_recursive", "ioWaitTimeRecursive"], ["blkio.bfq.io_merged_recursive", "ioMergedRecursive"],
    ["blkio.bfq.io_queued_recursive", "ioQueueRecursive"], ["blkio.bfq.time_recursive", "ioTimeRecursive"],
    ["blkio.bfq.io_serviced_recursive", "ioServicedRecursive"], ["blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"]],
  [["blkio.bfq.io_serviced_recursive", "ioServicedRecursive"], ["blkio.bfq.io_service_bytes_recursive", "ioServiceBytesRecursive"]],
  [["blkio.sectors_recursive", "sectorsRecursive"], ["blkio.io_service_time_recursive", "ioServiceTimeRecursive"],
    ["blkio.io_wait_time_recursive", "ioWaitTimeRecursive"], ["blkio.io_merged_recursive", "ioMergedRecursive"],
    ["blkio.io_queued_recursive", "ioQueueRecursive"], ["blkio.time_recursive", "ioTimeRecursive"],
    ["blkio.io_serviced_recursive", "ioServicedRecursive"], ["blkio.io_service_bytes_recursive", "ioServiceBytesRecursive"]],
  [["blkio.throttle.io_serviced_recursive", "ioServicedRecursive"], ["blkio.throttle.io_service_bytes_recursive", "ioServiceBytesRecursive"]],
  [["blkio.throttle.io_serviced", "ioServicedRecursive"], ["blkio.throttle.io_service_bytes", "ioServiceBytesRecursive"]],
];

export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const group of GROUPS) {
    const first = f.has(group[0][0]) ? parseBlkioStat(f.read(group[0][0])) : [];
    if (first.length === 0) continue;
    for (const [file, key] of group) s.blkio[key] = f.has(file) ? parseBlkioStat(f.read(file)) : [];
    return;
  }
}
