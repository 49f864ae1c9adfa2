// Reading Lens transactions the way the UI shows them.
import type { Transaction } from "../../bindings";

/** The value of a content key (case-insensitive name), if present. */
export function contentKey(t: Transaction, name: string): string | undefined {
  return t.contentKeys.find((k) => k.key.toLowerCase() === name.toLowerCase())?.value;
}
