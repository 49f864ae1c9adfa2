// Words and numbers as an analyst reads them: labels for enum values, relative times, sizes.
import type { CaseKind, CaseStatus, Priority } from "../bindings";

/** Status labels in lifecycle order. */
export const STATUS_LABELS: Record<CaseStatus, string> = {
  new: "New",
  open: "Open",
  waiting_on_partner: "Waiting on partner",
  waiting_on_us: "Waiting on us",
  resolved: "Resolved",
  closed: "Closed",
};

/** Every status, lifecycle order. */
export const STATUSES = Object.keys(STATUS_LABELS) as CaseStatus[];

/** Kind labels. */
export const KIND_LABELS: Record<CaseKind, string> = {
  shipment: "Shipment",
  invoice: "Invoice",
  order: "Order",
  compliance: "Compliance",
  onboarding: "Onboarding",
  other: "Other",
};

/** Every kind. */
export const KINDS = Object.keys(KIND_LABELS) as CaseKind[];

/** Priority labels, lowest first. */
export const PRIORITY_LABELS: Record<Priority, string> = {
  low: "Low",
  normal: "Normal",
  high: "High",
  urgent: "Urgent",
};

/** Every priority, lowest first. */
export const PRIORITIES = Object.keys(PRIORITY_LABELS) as Priority[];

/** "2 min ago", "in 3 h", "5 days ago" relative to `now`. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const diff = then - now;
  const abs = Math.abs(diff);
  const future = diff > 0;
  const minute = 60_000;
  const hour = 60 * minute;
  const day = 24 * hour;
  let text: string;
  if (abs < 45_000) return future ? "in a moment" : "just now";
  if (abs < hour) text = `${Math.round(abs / minute)} min`;
  else if (abs < day) text = `${Math.round(abs / hour)} h`;
  else if (abs < 30 * day) {
    const days = Math.round(abs / day);
    text = `${days} day${days === 1 ? "" : "s"}`;
  } else return shortDate(iso);
  return future ? `in ${text}` : `${text} ago`;
}

/** How long past due, kept short for the SLA column: "40 min", "6 h", "41 days" overdue. */
export function overdueText(iso: string, now: number = Date.now()): string {
  const late = now - Date.parse(iso);
  if (Number.isNaN(late)) return "";
  const hour = 3_600_000;
  if (late < hour) return `${Math.max(1, Math.round(late / 60_000))} min overdue`;
  if (late < 24 * hour) return `${Math.round(late / hour)} h overdue`;
  const days = Math.round(late / (24 * hour));
  return `${days} day${days === 1 ? "" : "s"} overdue`;
}

/** One formatter per format, made on first use and kept: `Date.toLocaleString(locales, options)`
 * builds a new ICU formatter on every call, and the case list called it twice per row rendered
 * (the tooltips of the change and SLA times), about a third of a second of the app's first rows
 * on this machine and again in every window scrolled to (issue 16). Same text as those calls. */
function keptFormat<T>(make: () => T): () => T {
  let kept: T | undefined;
  return () => (kept ??= make());
}

const clockFormat = keptFormat(() => new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit" }));
const shortDateFormat = keptFormat(
  () => new Intl.DateTimeFormat([], { day: "numeric", month: "short", year: "numeric" }),
);
const dateTimeFormat = keptFormat(
  () =>
    new Intl.DateTimeFormat([], {
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    }),
);
const countFormat = keptFormat(() => new Intl.NumberFormat("en-US"));

/** "10:42" in the local time zone. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return clockFormat().format(d);
}

/** "12 Mar 2026". */
export function shortDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return shortDateFormat().format(d);
}

/** "12 Mar 2026, 10:42". */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return dateTimeFormat().format(d);
}

/** "1.2 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A readable document type from a media type. */
export function documentType(mediaType: string, name: string): string {
  const known: Record<string, string> = {
    "application/pdf": "PDF",
    "application/edi-x12": "EDI X12",
    "application/edifact": "EDIFACT",
    "text/csv": "CSV",
    "text/plain": "Text",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "application/zip": "ZIP archive",
    "application/xml": "XML",
    "text/xml": "XML",
    "application/json": "JSON",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.ms-excel": "Excel workbook",
    "message/rfc822": "E-mail",
  };
  if (known[mediaType]) return known[mediaType];
  const ext = name.includes(".") ? name.split(".").pop() : undefined;
  return ext ? ext.toUpperCase() : mediaType;
}

/** "1,234". */
export function count(n: number): string {
  return countFormat().format(n);
}
