// Reads and checks a bundle's config.json: the first step of create, before any side effect.
// Every problem found is reported at once, so a person fixes the file in one round.
import { readFile } from "../linux/file";
import { join } from "../pathname";
import { ConfigError, errnoOf, errnoText } from "../errors";
import { locateJsonError } from "./json-error";
import { validateSchema } from "./schema";
import type { Spec } from "./types";
import { validateSpec, type HostFacts } from "./validate";
import { checkOciVersion } from "./version";

export interface LoadedSpec {
  spec: Spec;
  warnings: string[];
}

/** Parses config.json text; a syntax error becomes a ConfigError naming line and column. */
export function parseSpecText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const pos = locateJsonError(text);
    const detail = pos
      ? `line ${pos.line}, column ${pos.column}: ${pos.reason}`
      : e instanceof Error ? e.message : String(e);
    throw new ConfigError([`invalid JSON at ${detail}`]);
  }
}

/** Every problem with an already parsed config (version, schema, semantics); empty when fine. */
export function checkSpec(config: unknown, host: HostFacts): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const version = (config as { ociVersion?: unknown } | null)?.ociVersion;
  if (typeof version === "string") {
    const problem = checkOciVersion(version);
    if (problem) errors.push(`/ociVersion: ${problem}`);
  }
  const schemaErrors = validateSchema(config);
  errors.push(...schemaErrors);
  if (config === null || typeof config !== "object" || Array.isArray(config)) return { errors, warnings: [] };
  const semantic = validateSpec(config as Spec, host, { shapeChecked: schemaErrors.length === 0 });
  errors.push(...semantic.errors);
  return { errors, warnings: semantic.warnings };
}

/**
 * Loads `<bundleDir>/config.json`. Throws one ConfigError listing every problem (its message
 * reads `config.json: /pointer: problem`); returns the spec and any warnings otherwise.
 */
export function loadSpec(bundleDir: string, host: HostFacts): LoadedSpec {
  const file = join(bundleDir, "config.json");
  let text: string;
  try {
    text = readFile(file);
  } catch (e) {
    const errno = errnoOf(e);
    throw new ConfigError([`cannot read ${file}: ${errno !== undefined ? errnoText(errno).split(" ")[0] : String(e)}`]);
  }
  const config = parseSpecText(text);
  const { errors, warnings } = checkSpec(config, host);
  if (errors.length > 0) throw new ConfigError(errors);
  return { spec: config as Spec, warnings };
}
