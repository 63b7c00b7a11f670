// The container id rule, apart from validate.ts: every verb checks an id, few need the rest.

/** null when `id` is a valid container id, else why not. The id names a directory under the state root. */
export function validateId(id: string): string | null {
  if (id === "") return "container id must not be empty";
  if (id.length > 1024) return `container id is ${id.length} characters long: at most 1024 are allowed`;
  if (id === "." || id === "..") return `container id ${JSON.stringify(id)} is not allowed`;
  if (!/^[A-Za-z0-9_+.-]+$/.test(id)) {
    return `container id ${JSON.stringify(id)} may only contain letters, digits and the characters _ + . -`;
  }
  return null;
}
