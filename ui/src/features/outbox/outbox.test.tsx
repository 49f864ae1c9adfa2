// The outbox view and the offline-first marks: entries in their states, Retry / Edit / Discard
// (with confirmation) through the outbox commands, the empty state, the nav badge, the offline
// banner's count, conflicts on the case page, pending field marks, new case, link / unlink.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { ConflictView, OutboxEntryView, SyncStatus } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend, type MockBackend } from "../../mock/backend";
import { PAGE_SIZE } from "../../app/queryKeys";
import { emptyCaseQuery } from "../cases/caseListState";
import { emptyExceptionQuery } from "../exceptions/hooks";

function entry(patch: Partial<OutboxEntryView>): OutboxEntryView {
  return {
    opId: "op-1",
    caseId: "case-000001",
    caseReference: "CASE-2026-000001",
    op: { op: "patch_case", status: "resolved" },
    summary: "Status changed to Resolved",
    state: "pending",
    attempts: 0,
    lastError: null,
    createdAt: new Date(Date.now() - 12 * 60_000).toISOString(),
    ...patch,
  };
}

/** What `outbox_list` answers from now on (the test's own entries), and the status bar's counts. */
function showOutbox(backend: MockBackend, entries: OutboxEntryView[]) {
  backend.setAnswer("outbox_list", {}, entries);
  const failed = entries.filter((e) => e.state === "failed").length;
  Object.assign(backend.sync, { pendingChanges: entries.length - failed, failedChanges: failed, oldestPendingAt: null });
}

function backendWith(entries: OutboxEntryView[], sync: Partial<SyncStatus> = {}) {
  const backend = createMockBackend({ sync });
  showOutbox(backend, entries);
  return backend;
}

/** The first page of the case list, as the real code answered it. */
function allCases(backend: MockBackend) {
  return backend.answer("list_cases", { query: { ...emptyCaseQuery(), offset: 0, limit: PAGE_SIZE } }).rows;
}

describe("outbox", () => {
  it("lists entries with their state, attempts, refusal in words, and the oldest wait", async () => {
    const backend = backendWith([
      entry({ opId: "op-1" }),
      entry({ opId: "op-2", state: "in_flight", summary: "Linked transaction TX9", op: { op: "link_transaction", transactionId: "TX9" }, createdAt: new Date(Date.now() - 5 * 60_000).toISOString() }),
      entry({
        opId: "op-3",
        op: { op: "add_comment", id: "c-1", author: "Ann Keller", body: "Please resend the ASN", visibility: "partner" },
        summary: "Comment: \u201cPlease resend the ASN\u201d",
        state: "failed",
        attempts: 3,
        lastError: "The case was closed on the server; reopen it before commenting.",
        createdAt: new Date(Date.now() - 2 * 60_000).toISOString(),
      }),
    ]);
    renderApp((cmd, args) => backend.handle(cmd, args), "#/outbox");
    const rows = await screen.findAllByTestId("outbox-entry");
    expect(rows.map((r) => r.dataset.state)).toEqual(["pending", "in_flight", "failed"]);
    expect(within(rows[0]).getByTestId("outbox-state")).toHaveTextContent("Waiting");
    expect(within(rows[1]).getByTestId("outbox-state")).toHaveTextContent("Sending");
    expect(within(rows[2]).getByTestId("outbox-state")).toHaveTextContent("Refused");
    expect(within(rows[2]).getByTestId("outbox-error")).toHaveTextContent(
      "The server refused it: The case was closed on the server; reopen it before commenting.",
    );
    expect(within(rows[2]).getByTestId("outbox-attempts")).toHaveTextContent("3 attempts");
    expect(within(rows[0]).getByTestId("outbox-case-link")).toHaveAttribute("href", "#/cases/case-000001");
    // Only refused entries can be retried or edited; an entry being sent cannot be discarded.
    expect(within(rows[0]).queryByTestId("outbox-retry")).not.toBeInTheDocument();
    expect(within(rows[1]).queryByTestId("outbox-discard")).not.toBeInTheDocument();
    expect(within(rows[2]).getByTestId("outbox-edit")).toBeInTheDocument();
    expect(screen.getByTestId("outbox-count")).toHaveTextContent("2 waiting · 1 refused");
    expect(screen.getByTestId("outbox-oldest")).toHaveTextContent("oldest waiting 12 min");
    expect(await screen.findByTestId("nav-outbox-badge")).toHaveTextContent("3");
  });

  it("retries one refused entry, and all of them", async () => {
    const refused = (opId: string) => entry({ opId, state: "failed", lastError: "Forbidden" });
    const backend = backendWith([refused("op-a"), refused("op-b")]);
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd !== "outbox_retry") return backend.handle(cmd, args);
      // The store queues the named entry, or every refused one, again.
      showOutbox(backend, args.opId === null ? [entry({ opId: "op-a" }), entry({ opId: "op-b" })] : [entry({ opId: "op-a" }), refused("op-b")]);
      return null;
    }, "#/outbox");
    const rows = await screen.findAllByTestId("outbox-entry");
    fireEvent.click(within(rows[0]).getByTestId("outbox-retry"));
    await waitFor(() => expect(callsOf("outbox_retry")).toHaveLength(1));
    expect(callsOf("outbox_retry")[0].args).toEqual({ opId: "op-a" });
    // The list refreshes: the retried entry waits again.
    await waitFor(() => expect(screen.getAllByTestId("outbox-entry")[0]).toHaveAttribute("data-state", "pending"));
    fireEvent.click(screen.getByTestId("outbox-retry-all"));
    await waitFor(() => expect(callsOf("outbox_retry")).toHaveLength(2));
    expect(callsOf("outbox_retry")[1].args).toEqual({ opId: null });
    await waitFor(() => expect(screen.queryByTestId("outbox-retry-all")).not.toBeInTheDocument());
  });

  it("asks before discarding, and discards only on confirmation", async () => {
    const backend = backendWith([entry({ opId: "op-x" })]);
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd !== "outbox_discard") return backend.handle(cmd, args);
      showOutbox(backend, []);
      return null;
    }, "#/outbox");
    fireEvent.click(await screen.findByTestId("outbox-discard"));
    const dialog = screen.getByTestId("confirm-dialog");
    expect(dialog).toHaveTextContent("Discard this change? It will be undone here and never sent.");
    fireEvent.click(within(dialog).getByTestId("confirm-cancel"));
    expect(screen.queryByTestId("confirm-dialog")).not.toBeInTheDocument();
    expect(callsOf("outbox_discard")).toHaveLength(0);
    expect(screen.getByTestId("outbox-entry")).toBeInTheDocument();

    fireEvent.click(screen.getByTestId("outbox-discard"));
    fireEvent.click(screen.getByTestId("confirm-ok"));
    await waitFor(() => expect(callsOf("outbox_discard")).toHaveLength(1));
    expect(callsOf("outbox_discard")[0].args).toEqual({ opId: "op-x" });
    expect(await screen.findByText("Everything has been sent.")).toBeInTheDocument();
  });

  it("edits a refused comment with its full text and queues it again", async () => {
    const body = "Could you resend the 856 with the corrected carton count, including pallet 3 of 4?";
    const refused = entry({
      opId: "op-c",
      op: { op: "add_comment", id: "c-local", author: "Ann Keller", body, visibility: "partner" },
      state: "failed",
      lastError: "Malformed",
      summary: `Comment: \u201c${body.slice(0, 60)}\u2026\u201d`,
    });
    const backend = backendWith([refused]);
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd !== "outbox_edit") return backend.handle(cmd, args);
      // The store queues the rewritten comment again.
      showOutbox(backend, [{ ...refused, state: "pending", lastError: null }]);
      return null;
    }, "#/outbox");
    fireEvent.click(await screen.findByTestId("outbox-edit"));
    const input = await screen.findByTestId("outbox-edit-body");
    await waitFor(() => expect(input).toHaveValue(body));
    fireEvent.change(input, { target: { value: "Please resend the 856." } });
    fireEvent.click(screen.getByTestId("outbox-edit-save"));
    await waitFor(() => expect(callsOf("outbox_edit")).toHaveLength(1));
    expect(callsOf("outbox_edit")[0].args).toEqual({ opId: "op-c", edit: { body: "Please resend the 856.", patch: null } });
    await waitFor(() => expect(screen.getByTestId("outbox-entry")).toHaveAttribute("data-state", "pending"));
  });

  it("edits a refused field change as a patch", async () => {
    const backend = backendWith([
      entry({
        opId: "op-p",
        state: "failed",
        lastError: "Forbidden",
        op: { op: "patch_case", status: "resolved", owner: "someone@acme.example" },
        summary: "Status changed to Resolved; Assigned to someone@acme.example",
      }),
    ]);
    const { callsOf } = renderApp((cmd, args) => (cmd === "outbox_edit" ? null : backend.handle(cmd, args)), "#/outbox");
    fireEvent.click(await screen.findByTestId("outbox-edit"));
    expect(screen.getByTestId("outbox-edit-status")).toHaveValue("resolved");
    fireEvent.change(screen.getByTestId("outbox-edit-owner"), { target: { value: "" } });
    fireEvent.click(screen.getByTestId("outbox-edit-save"));
    await waitFor(() => expect(callsOf("outbox_edit")).toHaveLength(1));
    expect(callsOf("outbox_edit")[0].args).toEqual({ opId: "op-p", edit: { body: null, patch: { status: "resolved", owner: null } } });
  });

  it("says everything has been sent when the outbox is empty", async () => {
    const backend = backendWith([]);
    renderApp((cmd, args) => backend.handle(cmd, args), "#/outbox");
    expect(await screen.findByTestId("empty-state")).toHaveTextContent("Everything has been sent.");
    expect(screen.queryByTestId("nav-outbox-badge")).not.toBeInTheDocument();
  });

  it("says in the offline banner how many changes wait, and the status bar shows Offline", async () => {
    const backend = backendWith(
      [entry({ opId: "1" }), entry({ opId: "2" }), entry({ opId: "3", state: "failed", lastError: "x" })],
      { connectivity: "offline" },
    );
    renderApp((cmd, args) => backend.handle(cmd, args));
    expect(await screen.findByTestId("offline-waiting")).toHaveTextContent("2 changes waiting, 1 refused");
    expect(screen.getByTestId("connectivity")).toHaveTextContent("Offline");
    expect(screen.getByTestId("nav-outbox-badge")).toHaveTextContent("3");
  });
});

describe("case page, offline-first", () => {
  it("shows a conflict in words and dismisses it", async () => {
    // A case of the list whose status change lost to the partner's newer answer.
    const backend = createMockBackend();
    const caseId = allCases(backend)[0].id;
    const detail = backend.answer("get_case", { id: caseId });
    const lost: ConflictView = {
      id: "conflict-1",
      field: "status",
      localValue: JSON.stringify("resolved"),
      serverValue: JSON.stringify("waiting_on_partner"),
      detectedAt: new Date(Date.now() - 25 * 60_000).toISOString(),
    };
    backend.setAnswer("get_case", { id: caseId }, { ...detail, conflicts: [lost] });
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd !== "dismiss_conflict") return backend.handle(cmd, args);
      backend.setAnswer("get_case", { id: caseId }, detail);
      return null;
    }, `#/cases/${caseId}`);
    const conflict = await screen.findByTestId("conflict");
    expect(conflict).toHaveTextContent(
      "Your change to Status (Resolved) was overtaken by a newer change on the server (Waiting on partner).",
    );
    fireEvent.click(within(conflict).getByTestId("conflict-dismiss"));
    await waitFor(() => expect(callsOf("dismiss_conflict")).toHaveLength(1));
    expect(callsOf("dismiss_conflict")[0].args).toEqual({ conflictId: "conflict-1" });
    await waitFor(() => expect(screen.queryByTestId("conflict")).not.toBeInTheDocument());
  });

  it("marks header fields whose change waits or was refused", async () => {
    const backend = createMockBackend();
    const [first, second] = allCases(backend);
    showOutbox(backend, [
      entry({ opId: "p1", caseId: first.id, op: { op: "patch_case", priority: "urgent" }, summary: "Priority changed to urgent" }),
      entry({ opId: "p2", caseId: first.id, op: { op: "patch_case", owner: null }, summary: "Unassigned", state: "failed", lastError: "Forbidden" }),
      entry({ opId: "p3", caseId: second.id, op: { op: "patch_case", status: "closed" }, summary: "Status changed to Closed" }),
    ]);
    renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${first.id}`);
    expect(await screen.findByTestId("field-pending-priority")).toHaveTextContent("Pending");
    expect(screen.getByTestId("field-failed-owner")).toHaveTextContent("Not sent");
    expect(screen.queryByTestId("field-pending-status")).not.toBeInTheDocument();
  });

  it("marks a field as pending after an offline change, refetching the outbox", async () => {
    const backend = createMockBackend({ sync: { connectivity: "offline" } });
    // The case whose status change the real code recorded.
    const [{ caseId }] = backend.recordedArgs("update_case");
    backend.setAnswer("outbox_list", {}, []);
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${String(caseId)}`);
    await screen.findByTestId("case-title");
    expect(screen.queryByTestId("field-pending-status")).not.toBeInTheDocument();
    const before = callsOf("outbox_list").length;
    fireEvent.change(screen.getByTestId("case-status-select"), { target: { value: "closed" } });
    expect(await screen.findByTestId("field-pending-status")).toBeInTheDocument();
    expect(callsOf("outbox_list").length).toBeGreaterThan(before);
  });

  it("links a transaction by id and from the partner's exceptions, and unlinks one", async () => {
    // The case without links the real code linked: one transaction of another partner's by id,
    // then one of its partner's from the picker.
    const backend = createMockBackend();
    const links = backend.recordedArgs("link_transaction");
    const c = backend.answer("get_case", { id: String(links[0].caseId) }).case;
    const picker = backend.answer("list_exceptions", { query: { ...emptyExceptionQuery(), partnerId: c.partnerId, limit: 20 } });
    const own = (id: unknown) => picker.rows.find((r) => r.transaction.transactionId === id);
    const partnerTxn = own(links.find((l) => own(l.transactionId))?.transactionId)!.transaction;
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${c.id}`);
    await screen.findByTestId("case-title");
    const other = String(links.find((l) => !own(l.transactionId))?.transactionId);
    fireEvent.change(screen.getByTestId("link-transaction-input"), { target: { value: ` ${other} ` } });
    fireEvent.click(screen.getByTestId("link-transaction-submit"));
    await waitFor(() => expect(screen.getAllByTestId("linked-transaction")).toHaveLength(1));
    expect(callsOf("link_transaction")[0].args).toEqual({ caseId: c.id, transactionId: other });
    expect(screen.getByTestId("link-transaction-input")).toHaveValue("");

    fireEvent.click(screen.getByTestId("show-partner-exceptions"));
    const picks = await screen.findAllByTestId("partner-exception");
    const pick = picks.find((p) => p.textContent?.includes(partnerTxn.externalErrorMessage ?? "")) ?? picks[0];
    fireEvent.click(within(pick).getByTestId("link-exception"));
    await waitFor(() => expect(screen.getAllByTestId("linked-transaction")).toHaveLength(2));

    fireEvent.click(screen.getByRole("button", { name: `Unlink transaction ${other}` }));
    await waitFor(() => expect(screen.getAllByTestId("linked-transaction")).toHaveLength(1));
    expect(callsOf("unlink_transaction")[0].args).toEqual({ caseId: c.id, transactionId: other });
  });
});

describe("new case", () => {
  it("opens with n, checks required fields, creates the case and opens it", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args));
    await screen.findAllByTestId("case-row");
    fireEvent.keyDown(document.body, { key: "n" });
    const dialog = await screen.findByTestId("new-case-dialog");
    fireEvent.click(within(dialog).getByTestId("new-case-submit"));
    expect(dialog).toHaveTextContent("Give the case a title.");
    expect(dialog).toHaveTextContent("Choose the partner this case is with.");
    expect(callsOf("create_case")).toHaveLength(0);

    const partner = backend.answer("list_partners", { search: null })[3].partner;
    fireEvent.change(screen.getByTestId("new-case-title"), { target: { value: "Pallets damaged at DC 4" } });
    await waitFor(() => expect(within(screen.getByTestId("new-case-partner")).getAllByRole("option").length).toBeGreaterThan(1));
    fireEvent.change(screen.getByTestId("new-case-partner"), { target: { value: partner.partnerCompanyId } });
    fireEvent.change(screen.getByTestId("new-case-kind"), { target: { value: "shipment" } });
    fireEvent.change(screen.getByTestId("new-case-priority"), { target: { value: "high" } });
    fireEvent.change(screen.getByTestId("new-case-description"), { target: { value: "Three pallets arrived crushed." } });
    fireEvent.click(screen.getByTestId("new-case-submit"));
    await waitFor(() => expect(callsOf("create_case")).toHaveLength(1));
    expect(callsOf("create_case")[0].args).toEqual({
      input: {
        title: "Pallets damaged at DC 4",
        partnerId: partner.partnerCompanyId,
        kind: "shipment",
        priority: "high",
        owner: null,
        description: "Three pallets arrived crushed.",
      },
    });
    await waitFor(() => expect(window.location.hash).toMatch(/^#\/cases\/case-local-/));
    expect(await screen.findByTestId("case-title")).toHaveTextContent("Pallets damaged at DC 4");
    expect(screen.queryByTestId("new-case-dialog")).not.toBeInTheDocument();
  });

  it("closes on Escape without creating anything", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args));
    fireEvent.click(await screen.findByTestId("new-case"));
    const title = await screen.findByTestId("new-case-title");
    fireEvent.keyDown(title, { key: "Escape" });
    expect(screen.queryByTestId("new-case-dialog")).not.toBeInTheDocument();
    expect(callsOf("create_case")).toHaveLength(0);
    expect(window.location.hash).toBe("#/cases");
  });
});
