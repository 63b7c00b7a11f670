// Fields the runtime-spec defines that this build of tsrunc does not apply yet. Each is refused
// with an error naming the field, never ignored: a container that silently lacks its seccomp
// filter or memory limit is worse than one that does not start.
import type { Spec } from "../spec/types";

const LATER: [pointer: string, get: (s: Spec) => unknown, why: string][] = [
  ["/process/apparmorProfile", (s) => s.process?.apparmorProfile, "AppArmor profiles are not supported yet"],
  ["/process/selinuxLabel", (s) => s.process?.selinuxLabel, "SELinux labels are not supported yet"],
  ["/linux/mountLabel", (s) => s.linux?.mountLabel, "SELinux mount labels are not supported yet"],
  ["/linux/intelRdt", (s) => s.linux?.intelRdt, "linux.intelRdt is not supported on this host"],
  ["/linux/netDevices", (s) => nonEmpty(s.linux?.netDevices), "linux.netDevices is not supported yet"],
];

function nonEmpty(o: object | undefined): object | undefined {
  return o && Object.keys(o).length ? o : undefined;
}


export function unsupportedFields(spec: Spec): string[] {
  const out: string[] = [];
  for (const [ptr, get, why] of LATER) if (get(spec) !== undefined && get(spec) !== false) out.push(`${ptr}: ${why}`);
  (spec.mounts ?? []).forEach((m, i) => {
    if (m.uidMappings || m.gidMappings) out.push(`/mounts/${i}: idmapped mounts are not supported yet`);
  });
  return out;
}
