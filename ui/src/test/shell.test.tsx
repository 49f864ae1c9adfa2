// The frame: offline banner and sync state from `sync_status`, the demo badge, "Sync now",
// navigation, the partner directory, and refreshes driven by `pd://changed`.
import { describe, expect, it } from "vitest";
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { emit } from "@tauri-apps/api/event";
import type { SyncStatus } from "../bindings";
import { renderApp } from "./render";
import { CHANGED_EVENT } from "../app/topics";
import { createMockBackend } from "../mock/backend";
import { clockTime } from "../lib/format";
import { PAGE_SIZE } from "../app/queryKeys";
import { emptyCaseQuery } from "../features/cases/caseListState";

const NOW = Date.parse("2026-03-10T12:00:00Z");

describe("shell", () => {
  it("shows the offline banner with the time of the cached data", async () => {
    const lastSyncedAt = "2026-03-10T10:42:00Z";
    const backend = createMockBackend({ now: NOW, sync: { connectivity: "offline", lastSyncedAt, pendingChanges: 2 } });
    renderApp((cmd, args) => backend.handle(cmd, args));
    const banner = await screen.findByTestId("offline-banner");
    expect(banner).toHaveTextContent(
      `You're offline — showing cached data from ${clockTime(lastSyncedAt)}. Changes will be sent when the connection returns.`,
    );
    expect(screen.getByTestId("outbox-pending")).toHaveTextContent("2 changes waiting to be sent");
  });

  it("shows no offline banner while online, and the demo badge on the sandbox", async () => {
    const backend = createMockBackend({ now: NOW });
    renderApp((cmd, args) => backend.handle(cmd, args));
    expect(await screen.findByTestId("demo-badge")).toHaveTextContent("Demo workspace");
    expect(screen.queryByTestId("offline-banner")).not.toBeInTheDocument();
  });

  it("puts the last sync error in words and 'Sync now' calls sync_now", async () => {
    const backend = createMockBackend({
      now: NOW,
      sync: { lastError: { code: "auth.unauthorized", message: "Trading Grid refused the credentials." } },
    });
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "sync_now") return { ...(backend.handle("sync_status") as SyncStatus), lastError: null, lastSyncedAt: new Date().toISOString() };
      return backend.handle(cmd, args);
    });
    expect(await screen.findByTestId("sync-state")).toHaveTextContent("Sync failed: Trading Grid refused the credentials.");
    fireEvent.click(screen.getByTestId("sync-now"));
    await waitFor(() => expect(screen.getByTestId("sync-state")).toHaveTextContent("Last synced just now"));
    expect(callsOf("sync_now")).toHaveLength(1);
  });

  it("navigates between screens from the rail", async () => {
    const backend = createMockBackend({ now: NOW });
    renderApp((cmd, args) => backend.handle(cmd, args));
    await screen.findAllByTestId("case-row");
    fireEvent.click(screen.getByTestId("nav-partners"));
    await waitFor(() => expect(window.location.hash).toBe("#/partners"));
    expect(await screen.findAllByTestId("partner-row")).toHaveLength(backend.answer("list_partners", { search: null }).length);
    fireEvent.change(screen.getByTestId("partner-search"), { target: { value: "verona" } });
    await waitFor(() => expect(screen.getAllByTestId("partner-row")).toHaveLength(1));
    fireEvent.click(screen.getByTestId("partner-row"));
    expect(await screen.findByTestId("partner-name")).toHaveTextContent("Verona Vittles");
    fireEvent.click(screen.getByTestId("nav-exceptions"));
    expect(await screen.findByRole("heading", { name: "Exceptions" })).toBeInTheDocument();
  });

  it("refreshes the case list when pd://changed announces cases", async () => {
    const backend = createMockBackend({ now: NOW });
    // The first three cases of the list, the first of them renamed on the server later.
    const firstPage = { query: { ...emptyCaseQuery(), offset: 0, limit: PAGE_SIZE } };
    const rows = backend.answer("list_cases", firstPage).rows.slice(0, 3);
    backend.setAnswer("list_cases", firstPage, { rows, total: 3, offset: 0 });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args));
    expect(await screen.findAllByTestId("case-row")).toHaveLength(3);
    const before = callsOf("list_cases").length;
    const renamed = [{ ...rows[0], title: "Renamed by the partner" }, ...rows.slice(1)];
    backend.setAnswer("list_cases", firstPage, { rows: renamed, total: 3, offset: 0 });
    await act(async () => {
      await emit(CHANGED_EVENT, { topics: ["cases"] });
    });
    expect(await screen.findByText("Renamed by the partner")).toBeInTheDocument();
    expect(callsOf("list_cases").length).toBeGreaterThan(before);
    const syncCalls = callsOf("sync_status").length;
    await act(async () => {
      await emit(CHANGED_EVENT, { topics: ["sync"] });
    });
    await waitFor(() => expect(callsOf("sync_status").length).toBeGreaterThan(syncCalls));
  });

  it("keeps the Sync now button disabled while a sync runs", async () => {
    const status: Partial<SyncStatus> = { syncing: true };
    const backend = createMockBackend({ now: NOW, sync: status });
    renderApp((cmd, args) => backend.handle(cmd, args));
    expect(await screen.findByTestId("sync-state")).toHaveTextContent("Syncing");
    expect(screen.getByTestId("sync-now")).toBeDisabled();
  });
});
