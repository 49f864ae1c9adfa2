import { describe, expect, it } from "vitest";
import { overdueText } from "../lib/format";

describe("overdueText", () => {
  const now = Date.parse("2026-11-21T12:00:00Z");
  it("stays short however long a case is overdue, so the SLA column never truncates it", () => {
    expect(overdueText("2026-11-21T11:20:00Z", now)).toBe("40 min overdue");
    expect(overdueText("2026-11-21T06:00:00Z", now)).toBe("6 h overdue");
    expect(overdueText("2026-11-20T12:00:00Z", now)).toBe("1 day overdue");
    expect(overdueText("2026-10-11T12:00:00Z", now)).toBe("41 days overdue");
  });
});
