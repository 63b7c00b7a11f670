// Runs the systemd cgroup driver from inside the test systemd's pid namespace (systemd-cgroup.test.ts):
// systemd refuses a D-Bus peer whose pid it cannot see, and PIDs= names pids as systemd sees them.
// argv[2]: {op: "start" | "stop" | "set", ...}; prints {ok: result} or {error: message}.
import { realSys } from "../../src/sys";
import { annotationProperties, setUnitProperties, startSystemdScope, stopSystemdScope } from "../../src/linux/cgroups/systemd";
import { resourceProperties } from "../../src/linux/cgroups/systemd/properties";

const a = JSON.parse(process.argv[2]);
const opts = { address: a.address, timeoutMs: 10_000 };
try {
  const set = () => { setUnitProperties(realSys(), a.unit, (v) => resourceProperties(a.resources ?? {}, "v1", v, { update: true }), opts); return null; };
  const out = a.op === "start" ? startSystemdScope(realSys(), a.cgroupsPath, a.id, a.pid, a.resources ?? {}, { ...opts, extra: annotationProperties(a.annotations) })
    : a.op === "set" ? set() : stopSystemdScope(realSys(), a.unit, opts);
  console.log(JSON.stringify({ ok: out }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
}
