// The change topics of `pd://changed`, as generated from `pd_domain::contract::Topic` (no copy is
// written by hand here; a new topic fails `TOPIC_ROOTS` in `changes.ts` until it is mapped).
export type { Topic } from "../bindings/Topic";
export { CHANGED_EVENT, TOPICS } from "../bindings/topics";
