// The desktop features as an analyst uses them: the command palette (Ctrl+K) finds a case by a
// word of its title and opens it, changes the status of the case in view, lists every app action
// with its shortcut; `g m` goes to Mine, which asks who the analyst is, then lists their open
// cases under the counts strip; a navigation request (a notification click) opens its case.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { CaseDetail, CaseListPage } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend, mineQuery, type MockBackend } from "../../mock/backend";
import { PAGE_SIZE } from "../../app/queryKeys";
import { emptyCaseQuery } from "../cases/caseListState";
import { CASE_HITS, caseSearch } from "./palette";

function allCases(backend: MockBackend): CaseListPage {
  return backend.answer("list_cases", { query: { ...emptyCaseQuery(), offset: 0, limit: PAGE_SIZE } });
}

/** The machine running the tests may be loaded: wait longer than the default second. */
const SLOW = { timeout: 5000 };
const TEST_TIMEOUT = 20_000;

function openPalette() {
  fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });
  return screen.findByTestId("palette-input", {}, SLOW);
}

describe("command palette", () => {
  it("opens with Ctrl+K, finds a case by a word of its title and opens it with Enter", async () => {
    const backend = createMockBackend();
    const all = allCases(backend);
    const target = all.rows[3];
    const word = target.title.split(/\W+/).filter((w) => w.length >= 5).pop() ?? target.title;
    const hits = all.rows.filter((r) => r.title.toLowerCase().includes(word.toLowerCase())).slice(0, CASE_HITS);
    backend.setAnswer("list_cases", { query: caseSearch(word) }, { rows: hits, total: hits.length, offset: 0 });
    renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
    await screen.findAllByTestId("case-row", {}, SLOW);

    const input = await openPalette();
    fireEvent.change(input, { target: { value: word } });
    const item = await waitFor(() => {
      const found = screen.getAllByTestId("palette-item").find((el) => el.dataset.entry === `case-${target.id}`);
      expect(found).toBeDefined();
      return found!;
    }, SLOW);
    expect(item).toHaveTextContent(target.reference);
    // Move to it with the arrow keys, as from the keyboard.
    const items = screen.getAllByTestId("palette-item");
    for (let i = 0; i < items.indexOf(item); i++) fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(window.location.hash).toBe(`#/cases/${target.id}`), SLOW);
    expect(screen.queryByTestId("palette")).not.toBeInTheDocument();
    expect(await screen.findByTestId("case-reference", {}, SLOW)).toHaveTextContent(target.reference);

    // Back on the list, the palette offers it again among the recent cases, before anything is typed.
    window.location.hash = "#/cases";
    await screen.findAllByTestId("case-row", {}, SLOW);
    await openPalette();
    const recent = await waitFor(() => {
      const found = screen.getAllByTestId("palette-item").find((el) => el.dataset.entry === `recent-${target.id}`);
      expect(found).toBeDefined();
      return found!;
    }, SLOW);
    expect(recent).toHaveTextContent(target.reference);
  }, TEST_TIMEOUT);

  it("changes the status of the case in view", async () => {
    const backend = createMockBackend();
    const target = allCases(backend).rows.find((r) => r.status === "open" || r.status === "new")!;
    const before = backend.answer("get_case", { id: target.id });
    const after: CaseDetail = { ...before, case: { ...before.case, status: "waiting_on_partner" } };
    backend.setAnswer("update_case", { caseId: target.id, patch: { status: "waiting_on_partner" } }, after);
    // What the cache answers once the change is made (the refetch after the change).
    const answerAfter = () => backend.setAnswer("get_case", { id: target.id }, after);
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${target.id}`);
    await screen.findByTestId("case-title", {}, SLOW);

    const input = await openPalette();
    fireEvent.change(input, { target: { value: "waiting on partner" } });
    const item = await waitFor(() => {
      const first = screen.getAllByTestId("palette-item")[0];
      expect(first.dataset.entry).toBe("status-waiting_on_partner");
      return first;
    }, SLOW);
    expect(item).toHaveTextContent("Set status: Waiting on partner");
    answerAfter();
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(callsOf("update_case")).toHaveLength(1), SLOW);
    expect(callsOf("update_case")[0].args).toEqual({ caseId: target.id, patch: { status: "waiting_on_partner" } });
    await waitFor(() => expect(screen.queryByTestId("palette")).not.toBeInTheDocument(), SLOW);
    await waitFor(() => expect(screen.getAllByTestId("status-pill")[0]).toHaveTextContent("Waiting on partner"), SLOW);
  }, TEST_TIMEOUT);

  it("'Attach files…' on the case in view opens the file picker and offers the picked files for that case", async () => {
    const picked = {
      id: "drop-9-xyz",
      files: [{ name: "POD_SH32429248.pdf", size: 245_760, folder: "" }],
      totalSize: 245_760,
      folders: 0,
      needsConfirmation: false,
      skipped: [],
    };
    const backend = createMockBackend({ picked });
    const target = allCases(backend).rows[0];
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${target.id}`);
    await screen.findByTestId("case-title", {}, SLOW);

    const input = await openPalette();
    fireEvent.change(input, { target: { value: "attach" } });
    await waitFor(() => expect(screen.getAllByTestId("palette-item")[0].dataset.entry).toBe("attach"), SLOW);
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(callsOf("pick_files")).toHaveLength(1), SLOW);
    expect(screen.queryByTestId("palette")).not.toBeInTheDocument();
    const strip = await screen.findByTestId("drop-strip", {}, SLOW);
    await waitFor(() => expect(within(strip).getByTestId("drop-strip-title")).toHaveTextContent(target.reference), SLOW);
  }, TEST_TIMEOUT);

  it("lists every app action with its shortcut, and Escape closes it", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
    const input = await openPalette();
    const items = screen.getAllByTestId("palette-item");
    const keys = (entry: string) =>
      Array.from(items.find((el) => el.dataset.entry === entry)?.querySelectorAll("kbd") ?? [])
        .map((k) => k.textContent)
        .join(" ");
    expect(keys("go-mine")).toBe("g m");
    expect(keys("go-cases")).toBe("g c");
    expect(keys("go-exceptions")).toBe("g e");
    expect(keys("go-outbox")).toBe("g o");
    expect(keys("go-settings")).toBe("g s");
    // Every view of the rail is reachable from it.
    expect(keys("go-retention")).toBe("g r");
    expect(keys("go-transfers")).toBe("g t");
    expect(keys("go-folders")).toBe("g f");
    expect(keys("app-sync")).toBe("g y");
    expect(keys("app-new-case")).toBe("n");
    expect(keys("app-search")).toBe("/");
    expect(items.some((el) => el.dataset.entry === "app-pause")).toBe(true);
    fireEvent.keyDown(input, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("palette")).not.toBeInTheDocument(), SLOW);
    // The same keys work without it.
    fireEvent.keyDown(document.body, { key: "g" });
    fireEvent.keyDown(document.body, { key: "t" });
    await waitFor(() => expect(window.location.hash).toBe("#/transfers"), SLOW);
  }, TEST_TIMEOUT);
});

describe("Mine", () => {
  it("g m goes to Mine, which asks who I am and then lists my open cases under the counts", async () => {
    const backend = createMockBackend();
    const recorded = backend.recordedArgs("list_cases").map((a) => a.query as ReturnType<typeof mineQuery>);
    const me = recorded.find((q) => q.owners.length === 1 && q.limit === 2000)!.owners[0];
    const mine = backend.answer("list_cases", { query: mineQuery(me) }).rows;
    expect(mine.length).toBeGreaterThan(0);
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
    await screen.findAllByTestId("case-row", {}, SLOW);

    fireEvent.keyDown(document.body, { key: "g" });
    fireEvent.keyDown(document.body, { key: "m" });
    await waitFor(() => expect(window.location.hash).toBe("#/mine"), SLOW);
    const select = await screen.findByTestId("me-select", {}, SLOW);
    await waitFor(() => expect(within(select).getAllByRole("option").length).toBeGreaterThan(1), SLOW);
    fireEvent.change(select, { target: { value: me } });
    fireEvent.click(screen.getByTestId("me-save"));

    const rows = await screen.findAllByTestId("mine-row", {}, SLOW);
    expect(rows).toHaveLength(mine.length);
    expect(rows[0]).toHaveTextContent(mine[0].reference);
    expect(callsOf("save_desk_settings")[0].args).toMatchObject({ desk: { me } });
    const breached = mine.filter((r) => r.slaState === "breached").length;
    await waitFor(() => expect(within(screen.getByTestId("tile-breached")).getByText(String(breached))).toBeInTheDocument(), SLOW);
  }, TEST_TIMEOUT);

  it("opens the case a notification click asked for", async () => {
    const backend = createMockBackend();
    const target = allCases(backend).rows[0];
    backend.desk.openRequest = { to: "case", id: target.id };
    renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
    await waitFor(() => expect(window.location.hash).toBe(`#/cases/${target.id}`), SLOW);
    expect(await screen.findByTestId("case-reference", {}, SLOW)).toHaveTextContent(target.reference);
    expect(backend.desk.openRequest).toBeNull();
  }, TEST_TIMEOUT);
});

describe("Settings → Desktop", () => {
  it("saves per-kind switches and quiet hours", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/settings");
    const section = await screen.findByTestId("desk-section", {}, SLOW);
    fireEvent.click(await within(section).findByTestId("notify-new_exception", {}, SLOW));
    fireEvent.click(within(section).getByTestId("quiet-hours"));
    fireEvent.change(within(section).getByTestId("quiet-from"), { target: { value: "21:30" } });
    fireEvent.change(within(section).getByTestId("quiet-to"), { target: { value: "06:45" } });
    fireEvent.click(within(section).getByTestId("desk-save"));
    await waitFor(() => expect(callsOf("save_desk_settings")).toHaveLength(1), SLOW);
    expect(callsOf("save_desk_settings")[0].args).toMatchObject({
      desk: { notifications: { off: ["new_exception"], quietHours: { startMinute: 21 * 60 + 30, endMinute: 6 * 60 + 45 }, paused: false } },
    });
    expect(backend.desk.settings.notifications.off).toEqual(["new_exception"]);
  }, TEST_TIMEOUT);
});
