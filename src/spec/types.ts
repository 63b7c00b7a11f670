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

// linux.resources (config-linux.md "Control groups"). Clients send null or 0 for "not set" in
// several fields (containerd's update JSON: "reservation":0, "kernel":0), so every field may be null.
export interface MemoryResources {
  limit?: number | null;
  reservation?: number | null;
  swap?: number | null;
  /** deprecated in runtime-spec 1.3 and ignored, like runc does (kmem limits left Linux 6.1) */
  kernel?: number | null;
  kernelTCP?: number | null;
  swappiness?: number | null;
  disableOOMKiller?: boolean | null;
  useHierarchy?: boolean | null;
  checkBeforeUpdate?: boolean | null;
}

export interface CpuResources {
  shares?: number | null;
  quota?: number | null;
  burst?: number | null;
  period?: number | null;
  realtimeRuntime?: number | null;
  realtimePeriod?: number | null;
  cpus?: string | null;
  mems?: string | null;
  idle?: number | null;
}

export interface WeightDevice { major: number; minor: number; weight?: number | null; leafWeight?: number | null }
export interface ThrottleDevice { major: number; minor: number; rate: number }

export interface BlockIOResources {
  weight?: number | null;
  leafWeight?: number | null;
  weightDevice?: WeightDevice[] | null;
  throttleReadBpsDevice?: ThrottleDevice[] | null;
  throttleWriteBpsDevice?: ThrottleDevice[] | null;
  throttleReadIOPSDevice?: ThrottleDevice[] | null;
  throttleWriteIOPSDevice?: ThrottleDevice[] | null;
}

export interface HugepageLimit { pageSize: string; limit: number }
export interface NetworkResources { classID?: number | null; priorities?: { name: string; priority: number }[] | null }
export interface RdmaLimit { hcaHandles?: number | null; hcaObjects?: number | null }

export interface Resources {
  devices?: DeviceCgroup[];
  memory?: MemoryResources | null;
  cpu?: CpuResources | null;
  pids?: { limit?: number | null } | null;
  blockIO?: BlockIOResources | null;
  hugepageLimits?: HugepageLimit[] | null;
  network?: NetworkResources | null;
  rdma?: Record<string, RdmaLimit> | null;
  unified?: Record<string, string> | null;
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
