// cgroup v1 hugetlb controller (Documentation/admin-guide/cgroup-v1/hugetlb.rst), runc's fs/hugetlb.go.
import type { Resources } from "../../../spec/types";
import { CgroupFiles, fsIO, int, UnsupportedResource, type CgroupIO } from "../fsio";
import type { RuncStats } from "../stats";

/** page sizes the controller offers here, from its file names ("2MB", "1GB") */
export function pageSizes(dir: string, io: CgroupIO = fsIO, suffix = "limit_in_bytes"): string[] {
  const re = new RegExp(`^hugetlb\\.([0-9]+[KMG]B)\\.${suffix.replace(/\./g, "\\.")}$`);
  return io.list(dir).map((n) => re.exec(n)?.[1]).filter((x): x is string => !!x).sort();
}

export function check(dir: string, r: Resources, io: CgroupIO = fsIO, suffix = "limit_in_bytes"): UnsupportedResource[] {
  if ((r.hugepageLimits ?? []).length === 0) return [];
  const sizes = pageSizes(dir, io, suffix);
  if (sizes.length === 0) {
    return [new UnsupportedResource("/linux/resources/hugepageLimits", `needs the hugetlb controller, not enabled for ${dir}`)];
  }
  return (r.hugepageLimits ?? []).flatMap((h, i) => sizes.includes(h.pageSize) ? [] : [
    new UnsupportedResource(`/linux/resources/hugepageLimits/${i}/pageSize`, `huge page size ${JSON.stringify(h.pageSize)} is not offered by the hugetlb controller here (sizes: ${sizes.join(", ")})`),
  ]);
}

export function apply(dir: string, r: Resources, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const h of r.hugepageLimits ?? []) {
    f.write(`hugetlb.${h.pageSize}.limit_in_bytes`, int(h.limit));
    // reservation accounting (Linux 5.7): limit reservations too so mmap fails rather than a
    // later page fault SIGBUS-ing the process (runc sets rsvd when the file exists)
    if (f.has(`hugetlb.${h.pageSize}.rsvd.limit_in_bytes`)) f.write(`hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, int(h.limit));
  }
}

export function stats(dir: string, s: RuncStats, io: CgroupIO = fsIO): void {
  const f = new CgroupFiles(dir, io);
  for (const size of pageSizes(dir, io, "usage_in_bytes")) {
    const n = (x: string) => f.num(`hugetlb.${size}.${x}`) ?? 0;
    s.hugetlb[size] = { usage: n("usage_in_bytes"), max: n("max_usage_in_bytes"), failcnt: n("failcnt") };
  }
}
