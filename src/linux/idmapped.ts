// Idmapped mounts (mounts[].uidMappings/gidMappings, options idmap/ridmap): the bind source is
// cloned with open_tree(2), given a user namespace's id mapping with
// mount_setattr(MOUNT_ATTR_IDMAP), and moved onto the destination. The user namespace only
// carries the mapping: a helper child makes it, the parent writes its maps, and its
// /proc/<pid>/ns/user fd outlives the helper.
import { fs } from "./lazy-fs";
import { CLONE, MOUNT_ATTR, AT_RECURSIVE, O, type Sys } from "../sys";
import type { IdMapping, Mount } from "../spec/types";
import { step } from "../errors";
import { forkSingleThreaded } from "./process";
import { formatIdMap } from "./idmap";

const OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = O.CLOEXEC, AT_EMPTY_PATH = 0x1000;

/** From the (privileged) runtime: an fd of a user namespace with exactly these maps. */
export function userNamespaceFd(sys: Sys, uidMaps: IdMapping[], gidMaps: IdMapping[]): number {
  return step("make a user namespace for an idmapped mount", () => {
    const [r, w] = sys.pipe();
    const pid = forkSingleThreaded(sys);
    if (pid === 0) {
      try {
        sys.unshare(CLONE.NEWUSER);
        sys.close(w);
        fs.readSync(r, Buffer.alloc(1)); // hold still until the parent has the fd (EOF)
      } finally {
        sys.exit(0);
      }
    }
    sys.close(r);
    try {
      // the child may not have unshared yet: wait until its user namespace differs from ours
      const own = fs.readlinkSync("/proc/self/ns/user");
      for (let i = 0; fs.readlinkSync(`/proc/${pid}/ns/user`) === own; i++) {
        if (i > 5000) throw new Error("the helper did not create its user namespace");
        Bun.sleepSync(0.1);
      }
      fs.writeFileSync(`/proc/${pid}/uid_map`, formatIdMap(uidMaps));
      fs.writeFileSync(`/proc/${pid}/gid_map`, formatIdMap(gidMaps));
      return sys.open(`/proc/${pid}/ns/user`, O.RDONLY | O.CLOEXEC, 0);
    } finally {
      sys.close(w);
      sys.waitpid(pid, 0);
    }
  });
}

/** In the init: clone the source tree, idmap it, put it on `target` (a /proc/self/fd path). */
export function mountIdmapped(sys: Sys, source: string, target: string, usernsFd: number, recursive: boolean): void {
  const tree = sys.openTree(-100, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  try {
    sys.mountSetattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), { attrSet: MOUNT_ATTR.IDMAP, attrClr: 0, propagation: 0, usernsFd });
    sys.moveMount(tree, target);
  } finally {
    sys.close(tree);
  }
}
