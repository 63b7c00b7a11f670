// Runtime-spec v1.3.0 configuration types (config.md, config-linux.md).

export interface Spec {
  ociVersion: string;
  root?: { path: string; readonly?: boolean };
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  [k: string]: unknown;
}

export interface Mount {
  destination: string;
  source?: string;
  type?: string;
  options?: string[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
}

export interface IdMapping { containerID: number; hostID: number; size: number }

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export interface Rlimit { type: string; soft: number; hard: number }

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Process {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: User;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  scheduler?: Record<string, unknown>;
  ioPriority?: { class: string; priority?: number };
  execCPUAffinity?: { initial?: string; final?: string };
}

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }

export interface Hooks {
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type NamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";

export interface Namespace { type: NamespaceType; path?: string }

export interface Device {
  type: string;
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface DeviceCgroup { allow: boolean; type?: string; major?: number; minor?: number; access?: string }

export interface Resources {
  devices?: DeviceCgroup[];
  memory?: Record<string, unknown>;
  cpu?: Record<string, unknown>;
  pids?: { limit?: number };
  blockIO?: Record<string, unknown>;
  hugepageLimits?: unknown[];
  network?: Record<string, unknown>;
  rdma?: Record<string, unknown>;
  unified?: Record<string, string>;
}

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IdMapping[];
  gidMappings?: IdMapping[];
  timeOffsets?: Record<string, { secs?: number; nanosecs?: number }>;
  devices?: Device[];
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: string;
  seccomp?: Record<string, unknown>;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: { domain: string; flags?: string[] };
  intelRdt?: Record<string, unknown>;
  netDevices?: Record<string, { name?: string }>;
  memoryPolicy?: Record<string, unknown>;
  [k: string]: unknown;
}

/** The runtime-spec state (runtime.md) plus runc's extra fields. */
export interface State {
  ociVersion: string;
  id: string;
  status: "creating" | "created" | "running" | "stopped" | "paused";
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}
