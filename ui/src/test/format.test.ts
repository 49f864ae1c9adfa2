import { describe, expect, it } from "vitest";
import { clockTime, count, dateTime, overdueText, shortDate } from "../lib/format";

describe("overdueText", () => {
  const now = Date.parse("2026-11-21T12:00:00Z");
  it("stays short however long a case is overdue, so the SLA column never truncates it", () => {
    expect(overdueText("2026-11-21T11:20:00Z", now)).toBe("40 min overdue");
    expect(overdueText("2026-11-21T06:00:00Z", now)).toBe("6 h overdue");
    expect(overdueText("2026-11-20T12:00:00Z", now)).toBe("1 day overdue");
    expect(overdueText("2026-10-11T12:00:00Z", now)).toBe("41 days overdue");
  });
});

describe("dates and counts", () => {
  it("read as the browser's own date formatting does, for every instant, from the formatters kept between calls", () => {
    for (const iso of ["2026-03-12T10:42:00Z", "2026-12-31T23:59:00Z", "2025-01-01T00:00:00Z", "2026-07-04T12:05:00+02:00"]) {
      const d = new Date(iso);
      expect(dateTime(iso)).toBe(
        d.toLocaleString([], { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }),
      );
      expect(shortDate(iso)).toBe(d.toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" }));
      expect(clockTime(iso)).toBe(d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    }
    expect(dateTime("not a date")).toBe("");
    expect(dateTime(null)).toBe("");
    expect(count(100000)).toBe("100,000");
  });
});
