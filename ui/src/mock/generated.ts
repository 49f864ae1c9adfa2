// Fixtures written by a Rust test from the real code into `mock/generated/` (the case the app
// makes from an exception, outbox views). Where one exists the mock answers with what it says
// instead of its own guess, so a change in the real behaviour shows up here. Absent files are
// simply missing from the glob.
import type { CaseDetail, OutboxEntryView } from "../bindings";

const files = import.meta.glob<{ default: unknown }>("./generated/*.json", { eager: true });

function fixture<T>(name: string): T | null {
  const file = files[`./generated/${name}`];
  return file ? (file.default as T) : null;
}

/** The `CaseDetail` the real code makes when a case is opened from an exception. */
export const caseFromException: CaseDetail | null = fixture<CaseDetail>("case-from-exception.json");

/** One outbox view per operation kind, one of them failed, as the real code shows them. */
export const outboxViews: OutboxEntryView[] | null = fixture<OutboxEntryView[]>("outbox.json");
