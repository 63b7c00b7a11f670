// config-linux.md: namespaces (created, joined by path, inherited, errors), user namespace
// mappings and time offsets. Compared from the host through /proc/<pid>/ns/* links.
import * as fs from "node:fs";
import { defineCase, Container, Ctx } from "../lib/case";
import { nsLink, statusField, procFile } from "../lib/host";
import { Config, setNamespace, dropNamespace } from "../lib/bundle";

const TYPES = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"] as const;
type NsType = (typeof TYPES)[number];
/** the /proc/<pid>/ns/ link of each spec namespace type */
const LINK: Record<NsType, string> = { pid: "pid", network: "net", mount: "mnt", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup", time: "time" };
const USERNS = { uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }] };

/** the config change that makes the container create a namespace of this type */
function createNs(c: Config, type: NsType): void {
  setNamespace(c, type);
  if (type === "user") Object.assign(c.linux, USERNS);
}

const timensSkip = (h: { timens: boolean }) => (h.timens ? undefined : "this kernel has no time namespaces (/proc/self/ns/time)");

defineCase({
  name: "namespaces-created",
  spec: "config-linux.md",
  reqs: Object.fromEntries(TYPES.map((t) => [`config-linux.namespaces.${t}.created`, ["namespaces", `a ${t} namespace entry without path creates a new ${t} namespace for the container`]])) as Record<string, [string, string]>,
  async run(t) {
    for (const type of TYPES) {
      const id = `config-linux.namespaces.${type}.created`;
      if (type === "time" && timensSkip(t.host)) { t.skip(id, timensSkip(t.host)!); continue; }
      await t.verify(id, async () => {
        const ct = await t.started((c) => createNs(c, type), { tag: `ns-${type}` });
        const inner = nsLink(ct.pid, LINK[type]), outer = nsLink("self", LINK[type]);
        if (inner === outer) return t.fail(id, `the container's ${LINK[type]} namespace is the runtime's (${inner})`);
        // and the new namespace is in use: pid 1 inside, only a loopback device, the mapped root
        if (type === "pid") return t.check(id, /\s1$/.test(statusField(ct.pid, "NSpid")), `NSpid: ${statusField(ct.pid, "NSpid")}`);
        if (type === "network") {
          const devs = procFile(ct.pid, "net/dev").split("\n").slice(2).map((l) => l.split(":")[0].trim()).filter(Boolean);
          return t.eq(id, devs, ["lo"], "network devices");
        }
        if (type === "user") return t.eq(id, statusField(ct.pid, "Uid").split(/\s+/)[0], "100000", "host uid of the container's root");
        t.pass(id);
      });
    }
  },
});

/** a host process in a new mount or time namespace (unshare(1) makes new mounts private); killed at cleanup */
async function hostHolder(t: Ctx, type: "mount" | "time"): Promise<{ pid: number }> {
  const p = Bun.spawn(["unshare", `--${type}`, "sleep", "600"], { stdio: ["ignore", "ignore", "ignore"] });
  t.defer(() => p.kill(9));
  const link = LINK[type];
  await t.waitFor(() => { try { return nsLink(p.pid, link) !== nsLink("self", link); } catch { return false; } }, `unshare --${type}`);
  return { pid: p.pid };
}

defineCase({
  name: "namespaces-joined",
  spec: "config-linux.md",
  reqs: Object.fromEntries(TYPES.map((t) => [`config-linux.namespaces.${t}.joined`, ["namespaces", `a ${t} namespace entry with path places the container in the ${t} namespace at that path`]])) as Record<string, [string, string]>,
  async run(t) {
    // holders: containers whose namespaces the others join; user and time get their own so a
    // runtime without one of them still shows the other joins
    const holders = new Map<string, Container | Error>();
    const holder = async (key: string, edit: (c: Config) => void) => {
      if (!holders.has(key)) holders.set(key, await t.started(edit, { tag: `hold-${key}` }).catch((e: Error) => new Error(`the namespace holder: ${e.message}`)));
      const h = holders.get(key)!;
      if (h instanceof Error) throw h;
      return h;
    };
    for (const type of TYPES) {
      const id = `config-linux.namespaces.${type}.joined`;
      if (type === "time" && timensSkip(t.host)) { t.skip(id, timensSkip(t.host)!); continue; }
      await t.verify(id, async () => {
        // A container's mount namespace is pivoted into its own rootfs, where the host's /proc and
        // the bundle are out of reach: the mount namespace to join is a copy of the runtime's, held
        // by a host process. So is the time namespace: joining one must not depend on creating one.
        const a = type === "mount" || type === "time" ? await hostHolder(t, type)
          : await holder(type === "user" ? "user" : "base", (c) => { setNamespace(c, "cgroup"); if (type === "user") createNs(c, type); });
        const target = `/proc/${a.pid}/ns/${LINK[type]}`;
        const b = await t.started((c) => {
          setNamespace(c, type, target);
          if (type === "uts") delete c.hostname; // the joined namespace's hostname is the holder's
        }, { tag: `join-${type}` });
        t.eq(id, nsLink(b.pid, LINK[type]), nsLink(a.pid, LINK[type]), `the ${LINK[type]} namespace of the joining container`);
      });
    }
  },
});

defineCase({
  name: "namespaces-inherited",
  spec: "config-linux.md",
  reqs: {
    "config-linux.namespaces.inherited": ["namespaces", "a namespace type not in namespaces is inherited from the runtime (network, ipc, uts, cgroup)"],
  },
  async run(t) {
    const ct = await t.started((c) => {
      for (const type of ["network", "ipc", "uts", "cgroup"]) dropNamespace(c, type);
      delete c.hostname; // a hostname needs its own uts namespace
    });
    const differ = ["net", "ipc", "uts", "cgroup"].filter((n) => nsLink(ct.pid, n) !== nsLink("self", n));
    t.check("config-linux.namespaces.inherited", differ.length === 0 && nsLink(ct.pid, "mnt") !== nsLink("self", "mnt"), `namespaces not inherited: ${differ.join(", ")}`);
  },
});

defineCase({
  name: "namespaces-errors",
  spec: "config-linux.md",
  reqs: {
    "config-linux.namespaces.duplicate": ["namespaces", "a namespaces array with two entries of one type generates an error"],
    "config-linux.namespaces.path-wrong-type": ["namespaces", "a path that is not a namespace of the entry's type generates an error"],
  },
  async run(t) {
    const dup = await t.rt.create(t.newId("nsdup"), t.bundle((c) => { c.linux.namespaces.push({ type: "network" }); }));
    t.check("config-linux.namespaces.duplicate", dup.code !== 0, "create with two network entries succeeded");
    const wrong = await t.rt.create(t.newId("nswrong"), t.bundle((c) => setNamespace(c, "network", `/proc/${process.pid}/ns/ipc`)));
    t.check("config-linux.namespaces.path-wrong-type", wrong.code !== 0, "create joining an ipc namespace as the network namespace succeeded");
  },
});

defineCase({
  name: "user-namespace-mappings",
  spec: "config-linux.md",
  reqs: {
    "config-linux.uidMappings": ["user-namespace-mappings", "the user namespace's uid_map is uidMappings (two ranges)"],
    "config-linux.gidMappings": ["user-namespace-mappings", "the user namespace's gid_map is gidMappings (two ranges)"],
    "config-linux.mappings.process-ids": ["user-namespace-mappings", "process.user ids are container ids: the host sees them through the mappings"],
  },
  async run(t) {
    const uids = [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 300000, size: 2000 }];
    const gids = [{ containerID: 0, hostID: 210000, size: 1000 }, { containerID: 1000, hostID: 310000, size: 2000 }];
    const ct = await t.started((c) => {
      setNamespace(c, "user");
      c.linux.uidMappings = uids;
      c.linux.gidMappings = gids;
      c.process.user = { uid: 1500, gid: 1600 };
    });
    const map = (f: string) => procFile(ct.pid, f).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
    t.eq("config-linux.uidMappings", map("uid_map"), uids.map((m) => [m.containerID, m.hostID, m.size]), "uid_map");
    t.eq("config-linux.gidMappings", map("gid_map"), gids.map((m) => [m.containerID, m.hostID, m.size]), "gid_map");
    t.eq("config-linux.mappings.process-ids", [statusField(ct.pid, "Uid").split(/\s+/)[0], statusField(ct.pid, "Gid").split(/\s+/)[0]], ["300500", "310600"], "host uid and gid");
  },
});

defineCase({
  name: "time-offsets",
  spec: "config-linux.md",
  reqs: {
    "config-linux.timeOffsets": ["offset-for-time-namespace", "timeOffsets set the monotonic and boottime offsets of the new time namespace"],
  },
  skip: timensSkip,
  async run(t) {
    const ct = await t.started((c) => {
      setNamespace(c, "time");
      c.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 3600, nanosecs: 5 } };
    });
    const offsets = fs.readFileSync(`/proc/${ct.pid}/timens_offsets`, "utf8").trim().split("\n").map((l) => l.trim().split(/\s+/));
    t.eq("config-linux.timeOffsets", offsets, [["monotonic", "86400", "0"], ["boottime", "3600", "5"]], "/proc/<pid>/timens_offsets");
  },
});
