// linux.personality (personality(2)): the execution domain the process runs in, e.g. LINUX32
// makes `uname -m` report i686 for 32-bit build environments.
import type { Sys } from "../sys";
import { step } from "../errors";

const DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

export function personalityValue(p: { domain: string; flags?: string[] }): number {
  const d = DOMAINS[p.domain];
  if (d === undefined) throw new Error(`/linux/personality/domain: ${JSON.stringify(p.domain)} must be LINUX or LINUX32`);
  // the spec defines no flag names yet; one we do not know must not be silently dropped
  if (p.flags?.length) throw new Error(`/linux/personality/flags: ${p.flags.join(", ")}: no personality flags are defined by the runtime-spec`);
  return d;
}

export function setPersonality(sys: Sys, p: { domain: string; flags?: string[] }): void {
  step(`set personality ${p.domain}`, () => sys.personality(personalityValue(p)));
}
