// cgroup v2 hugetlb controller (cgroup-v2.rst "HugeTLB", Linux 5.6): hugetlb.<size>.max, and
// .rsvd.max for reservations; runc's fs2/hugetlb.go.
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, int, type CgroupIO, type UnsupportedResource } from "../fsio";
import type { RuncStats } from "../stats";
import { check as checkSizes, pageSizes } from "../v1/hugetlb";

export function check(dir: string, r: Resources, io: CgroupIO = fsIO): UnsupportedResource[] {
  return checkSizes(dir, r, io, "max");
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const h of r.hugepageLimits ?? []) {
    f.write(`hugetlb.${h.pageSize}.max`, int(h.limit));
    if (f.has(`hugetlb.${h.pageSize}.rsvd.max`)) f.write(`hugetlb.${h.pageSize}.rsvd.max`, int(h.limit));
  }
}

/** usage from .current, failcnt from .events "max" (v2 keeps no peak) */
export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const size of pageSizes(dir, io, "current")) {
    s.hugetlb[size] = { usage: f.num(`hugetlb.${size}.current`) ?? 0, max: 0, failcnt: f.keyValues(`hugetlb.${size}.events`).get("max") ?? 0 };
  }
}
