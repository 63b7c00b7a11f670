// The ociVersion check. semver's module initialisation (its ~40 regular expressions) cost 1.7 ms
// in the compiled binary, more than the whole schema check, so the versions real configs carry
// are recognised by one expression and semver is loaded only for anything else.
import type parseFn from "semver/functions/parse";

/** The spec version tsrunc implements; it reads 1.0.0 through 1.3.x, -dev prereleases included. */
export const SPEC_VERSION = "1.3.0";
const SUPPORTED = "1.0.0 to 1.3.x";

// Releases 1.0.0-1.3.x, and the x.y.z-dev that runc, containerd and moby builds write (1.0.2-dev,
// 1.2.1-dev) except 1.0.0-dev, which semver sorts below 1.0.0.
const COMMON = /^1\.(?:[0-3]\.(?:0|[1-9]\d*)|0\.[1-9]\d*-dev|[1-3]\.(?:0|[1-9]\d*)-dev)$/;

let parse: typeof parseFn | undefined;

/** null when `v` is a supported runtime-spec version, else what is wrong with it. */
export function checkOciVersion(v: string): string | null {
  if (COMMON.test(v)) return null;
  // A bundler keeps this require lazy: semver initialises only on this path.
  parse ??= require("semver/functions/parse") as typeof parseFn;
  // semver.parse forgives a leading "v" or blanks; a config file should carry the plain form.
  const s = /^\d\S*$/.test(v) ? parse(v) : null;
  if (s === null) return `${JSON.stringify(v)} is not a semantic version: write e.g. "${SPEC_VERSION}"`;
  // Prereleases of a supported x.y count (1.3.0-rc.1); pre-1.0 drafts (1.0.0-rc5) sort below 1.0.0
  // and had a different schema.
  if (s.major !== 1 || s.minor > 3 || s.compare("1.0.0") < 0) {
    return `version ${v} is not supported: tsrunc supports ${SUPPORTED}`;
  }
  return null;
}
