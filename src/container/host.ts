// Facts about this host that validation needs (which namespace kinds the kernel has).
import * as fs from "node:fs";
import type { HostFacts } from "../spec/validate";
import type { NamespaceType } from "../spec/types";
import { NS_PROC_NAME } from "../linux/namespaces";

export function hostFacts(): HostFacts {
  const namespaces = new Set<NamespaceType>();
  for (const [type, name] of Object.entries(NS_PROC_NAME)) {
    if (fs.existsSync(`/proc/self/ns/${name}`)) namespaces.add(type as NamespaceType);
  }
  return { namespaces } as HostFacts;
}
