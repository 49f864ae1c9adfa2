// The change topics of `pd://changed`. Until the generated `bindings/Topic.ts` and
// `bindings/topics.ts` land, this mirrors `pd_domain::contract::Topic`; then it re-exports them.
/** A change topic, as the Rust side names it in `pd://changed`. */
export type Topic = "cases" | "exceptions" | "partners" | "sync" | "outbox" | "settings" | "jobs";

/** Every topic. */
export const TOPICS: readonly Topic[] = ["cases", "exceptions", "partners", "sync", "outbox", "settings", "jobs"];
