// SCMP_ACT_NOTIFY: the filter's notification fd goes to linux.seccomp.listenerPath with the
// container process state (config-linux.md "Seccomp", the ContainerProcessState of runtime.md).
import type { Sys } from "../sys";
import type { Spec } from "../spec/types";
import { step } from "../errors";
import { SPEC_VERSION } from "../state/state";

export function processState(spec: Spec, id: string, bundle: string, pid: number): string {
  const sc = spec.linux?.seccomp as { listenerMetadata?: string } | undefined;
  return JSON.stringify({
    ociVersion: SPEC_VERSION, fds: ["seccompFd"], pid, metadata: sc?.listenerMetadata ?? "",
    state: { ociVersion: SPEC_VERSION, id, status: "creating", pid, bundle, annotations: spec.annotations },
  });
}

export function sendSeccompListener(sys: Sys, spec: Spec, id: string, bundle: string, pid: number, fd: number): void {
  const path = (spec.linux?.seccomp as { listenerPath?: string }).listenerPath!;
  step(`send the seccomp notify fd to ${JSON.stringify(path)}`, () => {
    const sock = sys.connectUnix(path);
    try {
      sys.sendFd(sock, fd, processState(spec, id, bundle, pid));
    } finally {
      sys.close(sock);
    }
  });
}
