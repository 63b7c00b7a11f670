// Namespaces: created with unshare(2) or joined with setns(2) by path.
import { CLONE, O, type Sys } from "../sys";
import type { Namespace, NamespaceType } from "../spec/types";
import { step } from "../errors";
import { assertSingleThreaded } from "./process";
import { filter, some } from "../sys/arrays";

export const NS_FLAG: Record<NamespaceType, number> = {
  pid: CLONE.NEWPID, network: CLONE.NEWNET, mount: CLONE.NEWNS, ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS, user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP, time: CLONE.NEWTIME,
};

/** names under /proc/<pid>/ns/ */
export const NS_PROC_NAME: Record<NamespaceType, string> = {
  pid: "pid", network: "net", mount: "mnt", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup", time: "time",
};

// The user namespace is joined first so the joined namespaces it owns can be entered with its
// capabilities; mount last among the joins because setns(mnt) changes the root we resolve paths in.
export const JOIN_ORDER: NamespaceType[] = ["user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"];

export function hasNamespace(nss: Namespace[] | undefined, type: NamespaceType): boolean {
  return some(nss, (n) => n.type === type);
}

export function newNamespace(nss: Namespace[] | undefined, type: NamespaceType): boolean {
  return some(nss, (n) => n.type === type && !n.path);
}

/** Opens every namespace path before any setns, since joining a mount namespace changes what paths mean. */
export function joinNamespaces(sys: Sys, nss: Namespace[]): void {
  const joins = filter(nss, (n) => n.path).sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
  const fds: number[] = [];
  try {
    for (const n of joins) fds.push(step(`open ${n.type} namespace ${JSON.stringify(n.path)}`, () => sys.open(n.path!, O.RDONLY | O.CLOEXEC, 0)));
    for (let i = 0; i < joins.length; i++) {
      const n = joins[i];
      step(`join ${n.type} namespace ${JSON.stringify(n.path)}`, () => {
        if (n.type === "user" || n.type === "mount") assertSingleThreaded("setns");
        sys.setns(fds[i], NS_FLAG[n.type]);
      });
    }
  } finally {
    for (const fd of fds) sys.close(fd);
  }
}

/** The flags for unshare(2) of the namespaces to create, user excluded (it is made first, alone). */
export function unshareFlags(nss: Namespace[]): number {
  let flags = 0;
  for (const n of nss) if (!n.path && n.type !== "user") flags |= NS_FLAG[n.type];
  return flags;
}

export function unshareUser(sys: Sys): void {
  step("create user namespace", () => {
    assertSingleThreaded("unshare(CLONE_NEWUSER)");
    sys.unshare(CLONE.NEWUSER);
  });
}

export function unshareOthers(sys: Sys, flags: number): void {
  if (!flags) return;
  step("create namespaces", () => {
    if (flags & CLONE.NEWNS) assertSingleThreaded("unshare(CLONE_NEWNS)");
    sys.unshare(flags);
  });
}

export function setHostname(sys: Sys, hostname: string | undefined, domainname: string | undefined): void {
  if (hostname !== undefined) step(`set hostname ${JSON.stringify(hostname)}`, () => sys.sethostname(hostname));
  if (domainname !== undefined) step(`set domainname ${JSON.stringify(domainname)}`, () => sys.setdomainname(domainname));
}
