// The case list as an analyst uses it: rows from `list_cases`, search, status tabs, filters,
// empty and error states, keyboard navigation.
import { describe, expect, it } from "vitest";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { CaseListPage, CaseQuery, CaseRow, StatusCount } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend, type MockBackend } from "../../mock/backend";
import { PAGE_SIZE } from "../../app/queryKeys";
import { emptyCaseQuery } from "./caseListState";

/** The first page of the whole case list, as the real code answered it. */
function allCases(backend: MockBackend) {
  return backend.answer("list_cases", { query: { ...emptyCaseQuery(), offset: 0, limit: PAGE_SIZE } });
}

function row(id: string, title: string, patch: Partial<CaseRow> = {}): CaseRow {
  return {
    id,
    reference: `CASE-2026-${id}`,
    title,
    partnerId: "GC1",
    partnerName: "Verona Vittles",
    kind: "shipment",
    status: "open",
    priority: "normal",
    owner: null,
    ownerName: null,
    slaDue: null,
    slaState: "none",
    slaPaused: false,
    updatedAt: new Date().toISOString(),
    pendingChanges: 0,
    failedChanges: 0,
    localOnly: false,
    thisComputerOnly: false,
    ...patch,
  };
}

/** A backend whose case list holds 100,000 cases, each window made up as it is asked for. */
function hundredThousandCases(cmd: string, args: Record<string, unknown>) {
  if (cmd !== "list_cases") return basics(cmd);
  const q = args.query as CaseQuery;
  const rows = Array.from({ length: q.limit }, (_, i) => row(String(q.offset + i).padStart(6, "0"), `Case ${q.offset + i}`));
  return { rows, total: 100_000, offset: q.offset };
}

const SYNC = {
  workspaceName: "Acme Retail",
  isDemo: false,
  syncing: false,
  connectivity: "online",
  lastSyncedAt: new Date().toISOString(),
  lastError: null,
  pendingChanges: 0,
  failedChanges: 0,
};

function basics(cmd: string): unknown {
  switch (cmd) {
    case "sync_status":
      return SYNC;
    case "list_partners":
      return [];
    case "list_users":
      return [];
    case "case_status_counts":
      return [
        { status: "new", count: 1 },
        { status: "open", count: 2 },
        { status: "waiting_on_partner", count: 0 },
        { status: "waiting_on_us", count: 0 },
        { status: "resolved", count: 0 },
        { status: "closed", count: 0 },
      ] satisfies StatusCount[];
    default:
      return undefined;
  }
}

describe("case list", () => {
  it("renders the rows list_cases returns, with marks for local changes", async () => {
    const page: CaseListPage = {
      rows: [
        row("000001", "Short shipment on PO 4500012345", { slaState: "breached", slaDue: new Date(Date.now() - 7_200_000).toISOString() }),
        row("000002", "Invoice INV-1 price mismatch", { pendingChanges: 1 }),
        row("000003", "ASN does not match", { failedChanges: 2, status: "new" }),
      ],
      total: 3,
      offset: 0,
    };
    renderApp((cmd) => (cmd === "list_cases" ? page : basics(cmd)));
    const rows = await screen.findAllByTestId("case-row");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent("Short shipment on PO 4500012345");
    expect(rows[0]).toHaveTextContent("Verona Vittles");
    expect(within(rows[0]).getByText(/overdue/)).toHaveAttribute("data-sla", "breached");
    expect(within(rows[1]).getByTestId("mark-pending")).toBeInTheDocument();
    expect(within(rows[2]).getByTestId("mark-failed")).toBeInTheDocument();
    expect(within(rows[2]).getByTestId("status-pill")).toHaveTextContent("New");
    // The count and the workspace name come from their own queries, which may answer after the
    // rows on a loaded machine: wait for them rather than reading the first paint.
    expect(await screen.findByText("3 cases", {}, { timeout: 5000 })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("workspace-name")).toHaveTextContent("Acme Retail"), { timeout: 5000 });
    expect(screen.queryByTestId("demo-badge")).not.toBeInTheDocument();
  });

  it("as the app starts, asks for the first rows and counts before it renders, once each, and shows them", async () => {
    const page: CaseListPage = { rows: [row("000001", "Pallet labels missing")], total: 1, offset: 0 };
    const { calls, callsOf } = renderApp((cmd) => (cmd === "list_cases" ? page : basics(cmd)), "#/cases", { askFirst: true });
    // Asked before the first render's own queries (sync status, among others).
    expect(calls.slice(0, 2).map((c) => c.cmd).sort()).toEqual(["case_status_counts", "list_cases"]);
    expect(await screen.findAllByTestId("case-row")).toHaveLength(1);
    expect(await screen.findByText("1 case", {}, { timeout: 5000 })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("status-tab-open")).toHaveTextContent("2"));
    expect(callsOf("list_cases")).toHaveLength(1);
    expect(callsOf("case_status_counts")).toHaveLength(1);
  });

  it("asks for the partner directory only once the first rows are there", async () => {
    const backend = createMockBackend();
    const gate: { open?: () => void } = {};
    const listAnswered = new Promise<void>((resolve) => {
      gate.open = resolve;
    });
    const { calls } = renderApp(async (cmd, args) => {
      // The first list answer is held back, as a slow start would.
      if (cmd === "list_cases") await listAnswered;
      return backend.handle(cmd, args);
    });
    await screen.findByTestId("filter-partner");
    await new Promise((r) => setTimeout(r, 150));
    expect(calls.filter((c) => c.cmd === "list_partners")).toHaveLength(0);
    gate.open?.();
    expect(await screen.findAllByTestId("case-row")).not.toHaveLength(0);
    await waitFor(() => expect(calls.filter((c) => c.cmd === "list_partners").length).toBeGreaterThan(0));
    const firstRows = calls.findIndex((c) => c.cmd === "list_cases");
    const firstPartners = calls.findIndex((c) => c.cmd === "list_partners");
    expect(firstPartners).toBeGreaterThan(firstRows);
    // The choices arrive: a partner can be picked.
    const select = screen.getByTestId("filter-partner");
    await waitFor(() => expect(within(select).getAllByRole("option").length).toBeGreaterThan(1));
  });

  it("marks a case kept on this computer only", async () => {
    const page: CaseListPage = {
      rows: [
        row("000001", "Kept here", { localOnly: true, thisComputerOnly: true }),
        row("000002", "Waiting to reach the server", { localOnly: true, pendingChanges: 1 }),
      ],
      total: 2,
      offset: 0,
    };
    renderApp((cmd) => (cmd === "list_cases" ? page : basics(cmd)));
    const rows = await screen.findAllByTestId("case-row");
    expect(within(rows[0]).getByTestId("case-row-this-computer-only")).toHaveTextContent("On this computer only");
    expect(within(rows[1]).queryByTestId("case-row-this-computer-only")).toBeNull();
    expect(rows[1]).toHaveTextContent("Local");
  });

  it("searches with the typed text after a pause, and shows only the matches", async () => {
    const backend = createMockBackend();
    const target = allCases(backend).rows[17];
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args));
    expect((await screen.findAllByTestId("case-row")).length).toBeGreaterThan(10);
    fireEvent.change(screen.getByTestId("case-search"), { target: { value: target.reference } });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(1));
    expect(screen.getByTestId("case-row")).toHaveTextContent(target.title);
    const searched = callsOf("list_cases").map((c) => (c.args.query as CaseQuery).search);
    expect(searched).toContain(target.reference);
    // Debounced: no call for a partial string.
    expect(searched).not.toContain(target.reference.slice(0, 3));
  });

  it("a call the mock has no recorded answer for is refused, naming the call", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => backend.handle(cmd, args));
    await screen.findAllByTestId("case-row");
    fireEvent.change(screen.getByTestId("case-search"), { target: { value: "nobody recorded this" } });
    // The search waits for a pause in typing, then the query fails: on a loaded machine that can
    // take longer than findBy's default second.
    const error = await screen.findByTestId("error-state", {}, { timeout: 5000 });
    expect(error).toHaveTextContent("The mock has no recorded answer for list_cases");
    expect(error).toHaveTextContent('"search":"nobody recorded this"');
    expect(error).toHaveTextContent("src-tauri/crates/app/tests/fixtures.rs");
  });

  it("'/' focuses the search box", async () => {
    renderApp((cmd) => (cmd === "list_cases" ? { rows: [], total: 0, offset: 0 } : basics(cmd)));
    await screen.findByTestId("empty-state");
    fireEvent.keyDown(document.body, { key: "/" });
    expect(screen.getByTestId("case-search")).toHaveFocus();
  });

  it("status tabs show counts and filter the list by status", async () => {
    const backend = createMockBackend();
    const counts = backend.answer("case_status_counts", { query: emptyCaseQuery() });
    const waiting = counts.find((c) => c.status === "waiting_on_partner")?.count ?? 0;
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args));
    const tab = await screen.findByTestId("status-tab-waiting_on_partner");
    await waitFor(() => expect(tab).toHaveTextContent(`Waiting on partner${waiting}`));
    fireEvent.click(tab);
    await waitFor(() => {
      const pills = screen.getAllByTestId("status-pill");
      expect(pills).toHaveLength(waiting);
      for (const pill of pills) expect(pill).toHaveTextContent("Waiting on partner");
    });
    expect(tab).toHaveAttribute("aria-selected", "true");
    const last = callsOf("list_cases").at(-1)?.args.query as CaseQuery;
    expect(last.statuses).toEqual(["waiting_on_partner"]);
  });

  it("the SLA toggle and owner filter reach the query; no match shows an empty state that clears", async () => {
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "list_cases") {
        const q = args.query as CaseQuery;
        return q.slaBreached ? { rows: [], total: 0, offset: 0 } : { rows: [row("000001", "Anything")], total: 1, offset: 0 };
      }
      return basics(cmd);
    });
    await screen.findAllByTestId("case-row");
    fireEvent.change(screen.getByTestId("filter-owner"), { target: { value: "-" } });
    fireEvent.click(screen.getByTestId("filter-sla-breached"));
    expect(await screen.findByText("No cases match these filters")).toBeInTheDocument();
    const q = callsOf("list_cases").at(-1)?.args.query as CaseQuery;
    expect(q.slaBreached).toBe(true);
    expect(q.owners).toEqual([""]);
    fireEvent.click(within(screen.getByTestId("empty-state")).getByRole("button", { name: "Clear filters" }));
    expect(await screen.findByTestId("case-row")).toBeInTheDocument();
    expect(screen.getByTestId("filter-sla-breached")).toHaveAttribute("aria-pressed", "false");
  });

  it("the At risk toggle asks for the cases at risk and shows only what comes back", async () => {
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "list_cases") {
        const q = args.query as CaseQuery;
        return q.slaAtRisk
          ? { rows: [row("000002", "Nearly late")], total: 1, offset: 0 }
          : { rows: [row("000001", "Anything"), row("000002", "Nearly late")], total: 2, offset: 0 };
      }
      return basics(cmd);
    });
    expect(await screen.findAllByTestId("case-row")).toHaveLength(2);
    fireEvent.click(screen.getByTestId("filter-sla-at-risk"));
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(1));
    expect(screen.getByText("Nearly late")).toBeInTheDocument();
    expect(screen.getByTestId("filter-sla-at-risk")).toHaveAttribute("aria-pressed", "true");
    const q = callsOf("list_cases").at(-1)?.args.query as CaseQuery;
    expect(q.slaAtRisk).toBe(true);
    expect(q.slaBreached).toBe(false);
  });

  it("sorting by a column header asks for that sort", async () => {
    const { callsOf } = renderApp((cmd) =>
      cmd === "list_cases" ? { rows: [row("000001", "A")], total: 1, offset: 0 } : basics(cmd),
    );
    await screen.findByTestId("case-row");
    fireEvent.click(screen.getByTestId("sort-sla"));
    await waitFor(() => expect((callsOf("list_cases").at(-1)?.args.query as CaseQuery).sort).toBe("sla_due"));
    expect((callsOf("list_cases").at(-1)?.args.query as CaseQuery).descending).toBe(false);
    fireEvent.click(screen.getByTestId("sort-sla"));
    await waitFor(() => expect((callsOf("list_cases").at(-1)?.args.query as CaseQuery).descending).toBe(true));
  });

  it("shows the error message with a retry that recovers", async () => {
    let fail = true;
    renderApp((cmd) => {
      if (cmd === "list_cases") {
        if (fail) throw { code: "store.corrupt", message: "The local cache could not be read. Restart PartnerDesk." };
        return { rows: [row("000001", "Back again")], total: 1, offset: 0 };
      }
      return basics(cmd);
    });
    const error = await screen.findByTestId("error-state");
    expect(error).toHaveTextContent("The local cache could not be read. Restart PartnerDesk.");
    fail = false;
    fireEvent.click(within(error).getByTestId("retry"));
    expect(await screen.findByTestId("case-row")).toHaveTextContent("Back again");
  });

  it("j/k move the selection and Enter opens the selected case", async () => {
    const page = { rows: [row("000001", "First"), row("000002", "Second")], total: 2, offset: 0 };
    renderApp((cmd) => (cmd === "list_cases" ? page : basics(cmd)));
    await screen.findAllByTestId("case-row");
    fireEvent.keyDown(document.body, { key: "j" });
    fireEvent.keyDown(document.body, { key: "j" });
    fireEvent.keyDown(document.body, { key: "k" });
    fireEvent.keyDown(document.body, { key: "ArrowDown" });
    const rows = screen.getAllByTestId("case-row");
    expect(rows[1]).toHaveAttribute("aria-selected", "true");
    fireEvent.keyDown(document.body, { key: "Enter" });
    await waitFor(() => expect(window.location.hash).toBe("#/cases/000002"));
  });

  it("fetches only the windows it shows from a list of 100,000 cases", async () => {
    const { callsOf } = renderApp(hundredThousandCases);
    await screen.findByText("100,000 cases");
    const rendered = screen.getAllByTestId("case-row");
    expect(rendered.length).toBeLessThan(60);
    const list = screen.getByTestId("case-row-list");
    await act(async () => {
      Object.defineProperty(list, "scrollTop", { configurable: true, value: 40 * 50_000 });
      fireEvent.scroll(list);
    });
    expect(await screen.findByText("Case 50000")).toBeInTheDocument();
    const offsets = callsOf("list_cases").map((c) => (c.args.query as CaseQuery).offset);
    expect(offsets).toContain(50_000);
    expect(Math.max(...callsOf("list_cases").map((c) => (c.args.query as CaseQuery).limit))).toBeLessThanOrEqual(100);
    expect(callsOf("list_cases").length).toBeLessThan(6);
  });

  it("loads only the window a fling through 100,000 cases stops at, not each window it passes", async () => {
    const { callsOf } = renderApp(hundredThousandCases);
    await screen.findByText("100,000 cases");
    const list = screen.getByTestId("case-row-list");
    // Each scroll step renders its rows at once (placeholders); none waits for the next.
    act(() => {
      for (const top of [10_000, 20_000, 30_000, 40_000, 50_000]) {
        Object.defineProperty(list, "scrollTop", { configurable: true, value: 40 * top });
        fireEvent.scroll(list);
      }
    });
    expect(list.querySelectorAll(".vt-row-loading").length).toBeGreaterThan(0);
    expect(await screen.findByText("Case 50000", {}, { timeout: 8_000 })).toBeInTheDocument();
    const offsets = callsOf("list_cases").map((c) => (c.args.query as CaseQuery).offset);
    expect(offsets).toContain(50_000);
    for (const passed of [10_000, 20_000, 30_000, 40_000]) expect(offsets).not.toContain(passed);
  }, 30_000);
});
