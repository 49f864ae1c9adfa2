// The case page: the thread keeps internal notes visibly apart, comments and field changes go
// through `add_comment` / `update_case`, a local-only case says it is not shared yet.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { CaseDetail, CommentView } from "../../bindings";
import { renderApp } from "../../test/render";

const NOW = new Date().toISOString();

function comment(id: string, patch: Partial<CommentView>): CommentView {
  return {
    id,
    caseId: "c1",
    author: "Ann Keller",
    authorIsPartner: false,
    body: "",
    visibility: "partner",
    createdAt: NOW,
    sendState: "sent",
    ...patch,
  };
}

function detail(patch: Partial<CaseDetail> = {}): CaseDetail {
  return {
    case: {
      id: "c1",
      reference: "CASE-2026-000042",
      title: "Short shipment on PO 4500012345",
      partnerId: "GC1",
      partnerName: "Verona Vittles",
      kind: "shipment",
      status: "open",
      priority: "high",
      owner: "ann@acme.example",
      slaDue: null,
      createdAt: NOW,
      updatedAt: NOW,
      linkedTransactions: ["TX1"],
      references: { poNumbers: ["4500012345"], invoiceNumbers: [], shipmentNumbers: ["SH1"] },
      version: 3,
    },
    ownerName: "Ann Keller",
    slaState: "none",
    sla: { state: "none", nextDue: null, paused: false, firstResponse: null, resolution: null, timeline: [] },
    comments: [
      comment("m1", { body: "Can you confirm what was loaded?", visibility: "partner" }),
      comment("m2", { body: "Third short shipment this month.", visibility: "internal", author: "Tom Lindqvist" }),
      comment("m3", { body: "48 cartons were shipped.", author: "Jordan Blake", authorIsPartner: true }),
      comment("m4", { body: "Still queued", sendState: "pending" }),
    ],
    documents: [
      {
        id: "d1",
        caseId: "c1",
        name: "receiving-report.pdf",
        size: 248_000,
        sha256: "0".repeat(64),
        mediaType: "application/pdf",
        location: { type: "collab" },
        uploadedBy: "Ann Keller",
        uploadedAt: NOW,
        sendState: "sent",
      },
    ],
    linkedTransactions: [
      {
        transactionId: "TX1",
        correlationId: null,
        status: "Failed",
        deliveryStatus: null,
        ediType: "856",
        transactionLevel: "Document",
        senderName: "Verona Vittles",
        receiverName: "Demo Retailer",
        senderAddress: null,
        receiverAddress: null,
        arrivalTime: NOW,
        errorCode: "E-3101",
        errorType: null,
        externalErrorMessage: "ASN quantities exceed ordered quantities",
        contentKeys: [{ key: "purchase order number", value: "4500012345" }],
      },
    ],
    activity: [{ at: NOW, actor: "Ann Keller", summary: "Status changed to Open" }],
    localOnly: false,
    thisComputerOnly: false,
    conflicts: [],
    ...patch,
  };
}

function basics(cmd: string): unknown {
  if (cmd === "outbox_list") return [];
  if (cmd === "sync_status")
    return {
      workspaceName: "Acme",
      isDemo: false,
      syncing: false,
      connectivity: "online",
      lastSyncedAt: NOW,
      lastError: null,
      pendingChanges: 0,
      failedChanges: 0,
    };
  if (cmd === "list_users")
    return [{ userId: "U1", loginId: "ann@acme.example", firstName: "Ann", lastName: "Keller", email: "", roles: [] },
            { userId: "U2", loginId: "tom@acme.example", firstName: "Tom", lastName: "Lindqvist", email: "", roles: [] }];
  return undefined;
}

describe("case detail", () => {
  it("shows partner-supplied names, titles and comments inert, with direction overrides visible", async () => {
    const base = detail();
    renderApp(
      (cmd) =>
        cmd === "get_case"
          ? detail({
              case: { ...base.case, title: "Refund <script>alert(1)</script>\u202Eredro", partnerName: "Evil \u2067Corp" },
              comments: [comment("m1", { body: '<img src=x onerror="alert(2)">Please open the invoice', author: "Mallory\u200B" })],
              documents: [{ ...base.documents[0], name: "inv\u202Efdp.exe" }],
            })
          : basics(cmd),
      "#/cases/c1",
    );
    const title = await screen.findByTestId("case-title");
    expect(title).toHaveTextContent("Refund <script>alert(1)</script>⟨U+202E⟩redro");
    expect(title.querySelector("script")).toBeNull();
    const doc = screen.getByTestId("document");
    expect(doc).toHaveTextContent("inv⟨U+202E⟩fdp.exe");
    expect(doc.textContent).not.toContain("\u202E");
    expect(doc.querySelector("[data-hidden-characters]")).not.toBeNull();
    const thread = screen.getByTestId("comment");
    expect(thread).toHaveTextContent('<img src=x onerror="alert(2)">Please open the invoice');
    expect(thread).toHaveTextContent("Mallory⟨U+200B⟩");
    expect(thread.querySelector("img")).toBeNull();
    expect(screen.getByText("Evil ⟨U+2067⟩Corp")).toBeInTheDocument();
    expect(screen.getByTestId("show-partner-exceptions")).toHaveTextContent("Choose from Evil ⟨U+2067⟩Corp's exceptions");
    expect(document.body.textContent).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B]/);
  });

  it("shows the header, and internal notes apart from partner-visible comments", async () => {
    renderApp((cmd) => (cmd === "get_case" ? detail() : basics(cmd)), "#/cases/c1");
    expect(await screen.findByTestId("case-title")).toHaveTextContent("Short shipment on PO 4500012345");
    expect(screen.getByTestId("case-reference")).toHaveTextContent("CASE-2026-000042");
    const comments = screen.getAllByTestId("comment");
    expect(comments).toHaveLength(4);
    const internal = comments.filter((c) => c.dataset.visibility === "internal");
    expect(internal).toHaveLength(1);
    expect(internal[0]).toHaveTextContent("Third short shipment this month.");
    expect(internal[0]).toHaveClass("comment-internal");
    expect(within(internal[0]).getByTestId("internal-label")).toHaveTextContent("Internal");
    for (const c of comments.filter((c) => c.dataset.visibility === "partner")) {
      expect(c).not.toHaveClass("comment-internal");
      expect(within(c).queryByTestId("internal-label")).not.toBeInTheDocument();
    }
    expect(comments[2]).toHaveClass("comment-partner");
    expect(within(comments[2]).getByText("Partner")).toBeInTheDocument();
    expect(within(comments[3]).getByTestId("comment-pending")).toBeInTheDocument();
    expect(screen.getByTestId("document")).toHaveTextContent("receiving-report.pdf");
    expect(screen.getByTestId("document")).toHaveTextContent("242 KB");
    expect(screen.getByTestId("linked-transaction")).toHaveTextContent("E-3101");
    expect(screen.getByTestId("linked-transaction")).toHaveTextContent("PO 4500012345");
    expect(screen.getByTestId("activity")).toHaveTextContent("Status changed to Open");
    expect(screen.queryByTestId("local-only-banner")).not.toBeInTheDocument();
  });

  it("adds an internal note through add_comment and shows it in the thread", async () => {
    let current = detail();
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "get_case") return current;
      if (cmd === "add_comment") {
        const added = comment("m5", { body: args.body as string, visibility: args.visibility as "internal", sendState: "pending" });
        current = { ...current, comments: [...current.comments, added] };
        return added;
      }
      return basics(cmd);
    }, "#/cases/c1");
    await screen.findByTestId("case-title");
    fireEvent.click(screen.getByTestId("comment-visibility-internal"));
    fireEvent.change(screen.getByTestId("comment-input"), { target: { value: "Check the carrier scans." } });
    expect(screen.getByTestId("comment-submit")).toHaveTextContent("Add internal note");
    fireEvent.click(screen.getByTestId("comment-submit"));
    await waitFor(() => expect(screen.getAllByTestId("comment")).toHaveLength(5));
    expect(callsOf("add_comment")[0].args).toEqual({ caseId: "c1", body: "Check the carrier scans.", visibility: "internal" });
    const added = screen.getAllByTestId("comment")[4];
    expect(added).toHaveAttribute("data-visibility", "internal");
    expect(added).toHaveAttribute("data-send-state", "pending");
    expect(screen.getByTestId("comment-input")).toHaveValue("");
  });

  it("keeps the draft and shows the reason when add_comment fails", async () => {
    renderApp((cmd) => {
      if (cmd === "get_case") return detail();
      if (cmd === "add_comment") throw { code: "store.busy", message: "The local cache is busy. Try again." };
      return basics(cmd);
    }, "#/cases/c1");
    await screen.findByTestId("case-title");
    fireEvent.change(screen.getByTestId("comment-input"), { target: { value: "Do not lose me" } });
    fireEvent.click(screen.getByTestId("comment-submit"));
    expect(await screen.findByRole("alert")).toHaveTextContent("The local cache is busy. Try again.");
    expect(screen.getByTestId("comment-input")).toHaveValue("Do not lose me");
  });

  it("changes status and owner through update_case", async () => {
    let current = detail();
    const { callsOf } = renderApp((cmd, args) => {
      if (cmd === "get_case") return current;
      if (cmd === "update_case") {
        const patch = args.patch as { status?: "waiting_on_partner"; owner?: string | null };
        current = { ...current, case: { ...current.case, ...("status" in patch ? { status: patch.status! } : {}), ...("owner" in patch ? { owner: patch.owner ?? null } : {}) } };
        return current;
      }
      return basics(cmd);
    }, "#/cases/c1");
    await screen.findByTestId("case-title");
    fireEvent.change(screen.getByTestId("case-status-select"), { target: { value: "waiting_on_partner" } });
    await waitFor(() => expect(screen.getAllByTestId("status-pill")[0]).toHaveTextContent("Waiting on partner"));
    expect(callsOf("update_case")[0].args).toEqual({ caseId: "c1", patch: { status: "waiting_on_partner" } });
    fireEvent.change(screen.getByTestId("case-owner-select"), { target: { value: "" } });
    await waitFor(() => expect(callsOf("update_case")).toHaveLength(2));
    expect(callsOf("update_case")[1].args).toEqual({ caseId: "c1", patch: { owner: null } });
  });

  it("says a local-only case is not yet shared with the partner", async () => {
    renderApp((cmd) => (cmd === "get_case" ? detail({ localOnly: true }) : basics(cmd)), "#/cases/c1");
    expect(await screen.findByTestId("local-only-banner")).toHaveTextContent("Not yet shared with the partner");
  });

  it("says a case kept on this computer only stays here, without pending marks", async () => {
    const base = detail();
    const pending = { ...base.comments[0], sendState: "pending" as const };
    renderApp(
      (cmd) =>
        cmd === "get_case"
          ? detail({ localOnly: true, thisComputerOnly: true, comments: [pending] })
          : basics(cmd),
      "#/cases/c1",
    );
    expect(await screen.findByTestId("this-computer-only-banner")).toHaveTextContent("On this computer only");
    expect(screen.queryByTestId("local-only-banner")).toBeNull();
    expect(screen.queryByTestId("comment-pending")).toBeNull();
  });

  it("shows why a case cannot be opened", async () => {
    renderApp((cmd) => {
      if (cmd === "get_case") throw { code: "store.not_found", message: "This case is not in the local cache." };
      return basics(cmd);
    }, "#/cases/missing");
    expect(await screen.findByTestId("error-state")).toHaveTextContent("This case is not in the local cache.");
  });
});
