// Runs the systemd cgroup driver from inside the test systemd's pid namespace (systemd-cgroup.test.ts):
// systemd refuses a D-Bus peer whose pid it cannot see, and PIDs= names pids as systemd sees them.
// argv[2]: {op: "start" | "stop", ...}; prints {ok: result} or {error: message}.
import { realSys } from "../../src/sys";
import { startSystemdScope, stopSystemdScope } from "../../src/linux/cgroups/systemd";

const a = JSON.parse(process.argv[2]);
try {
  const out = a.op === "start"
    ? startSystemdScope(realSys(), a.cgroupsPath, a.id, a.pid, a.resources ?? {}, { address: a.address, timeoutMs: 10_000 })
    : stopSystemdScope(realSys(), a.unit, { address: a.address, timeoutMs: 10_000 });
  console.log(JSON.stringify({ ok: out }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as Error).message }));
}
