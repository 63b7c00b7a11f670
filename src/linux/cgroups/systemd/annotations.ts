// org.systemd.property.<Name> annotations: extra properties for the container's transient unit
// (runc's docs/systemd-properties.md), e.g. "org.systemd.property.TimeoutStopUSec": "uint64 123456789"
// or "org.systemd.property.CollectMode": "'inactive-or-failed'". The value is GVariant text; its
// type must be the one systemd expects for the property (systemd answers InvalidArgs otherwise,
// naming the property), which is why bare numbers, GVariant's int32, rarely fit.
import { MAX_U64 } from "../fsio";
import { parseGVariant } from "./gvariant";
import type { Property } from "./properties";
import { Variant } from "./wire";

const PREFIX = "org.systemd.property.";

/**
 * The annotations' properties, in the config's order; StartTransientUnit gets them after the
 * ones tsrunc computes, so they win. Throws an Error naming the annotation when a name or value
 * cannot be used.
 */
export function annotationProperties(annotations: Record<string, string> | undefined): Property[] {
  const props: Property[] = [];
  for (const [key, raw] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(PREFIX)) continue;
    let name = key.slice(PREFIX.length);
    // systemd's D-Bus property names are CamelCase letters; runc checks the same, so a typo such
    // as "Memory-Max" fails here instead of as a generic InvalidArgs from systemd
    if (!/^[A-Za-z]{3,}$/.test(name)) throw new Error(`annotation ${key}: ${JSON.stringify(name)} is not a systemd property name (letters only, at least 3)`);
    let value: Variant;
    try {
      value = parseGVariant(String(raw));
    } catch (e) {
      throw new Error(`annotation ${key}: cannot read the value ${JSON.stringify(raw)} as GVariant text (e.g. uint64 123, true, 'string'): ${(e as Error).message}`);
    }
    // unit files and the man pages say TimeoutStopSec=, D-Bus only knows TimeoutStopUSec: accept
    // the documented name with seconds and send microseconds, as runc does ("[a-z]Sec" only, so
    // a name already ending in USec is left alone)
    if (/[a-z]Sec$/.test(name)) {
      name = `${name.slice(0, -"Sec".length)}USec`;
      try {
        value = secondsToUSec(value);
      } catch (e) {
        throw new Error(`annotation ${key}: ${(e as Error).message}`);
      }
    }
    props.push([name, value]);
  }
  return props;
}

/** seconds of any numeric type → uint64 microseconds */
export function secondsToUSec(v: Variant): Variant {
  let us: bigint;
  if (v.signature === "d") {
    const n = v.value as number;
    if (!Number.isFinite(n) || n < 0) throw new Error(`${n} is not a number of seconds`);
    us = BigInt(Math.floor(n * 1_000_000));
  } else if ("ynqiuxt".includes(v.signature) && v.signature.length === 1) {
    const n = BigInt(v.value as number | bigint);
    if (n < 0n) throw new Error(`${n} is not a number of seconds`);
    us = n * 1_000_000n;
  } else {
    throw new Error(`a time in seconds must be a number, not type ${v.signature}`);
  }
  if (us > MAX_U64) throw new Error(`${us / 1_000_000n} seconds do not fit in uint64 microseconds`);
  return new Variant("t", us);
}
