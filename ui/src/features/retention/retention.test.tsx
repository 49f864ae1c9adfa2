// Retention on a closed case's page: its export with retention, "Verify" and its answer, and a
// hold released only with a reason; the Retention view lists failures with their reason.
import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { CaseDetail, ExportView, VerifyReport } from "../../bindings";
import { renderApp } from "../../test/render";

const NOW = new Date().toISOString();

const CASE: CaseDetail = {
  case: {
    id: "c9",
    reference: "CASE-2026-000009",
    title: "Rejected invoice 990",
    partnerId: "GC1",
    partnerName: "Verona Vittles",
    kind: "invoice",
    status: "closed",
    priority: "normal",
    owner: null,
    slaDue: null,
    createdAt: NOW,
    updatedAt: NOW,
    linkedTransactions: [],
    references: { poNumbers: [], invoiceNumbers: [], shipmentNumbers: [] },
    version: 4,
  },
  ownerName: null,
  slaState: "none",
  sla: { state: "none", nextDue: null, paused: false, firstResponse: null, resolution: null, timeline: [] },
  comments: [],
  documents: [],
  linkedTransactions: [],
  activity: [],
  localOnly: false,
  thisComputerOnly: false,
  conflicts: [],
};

function exported(patch: Partial<ExportView> = {}): ExportView {
  return {
    id: "e1",
    caseId: "c9",
    caseReference: "CASE-2026-000009",
    partnerId: "GC1",
    partnerName: "Verona Vittles",
    version: 1,
    state: "done",
    bucket: "retention",
    objectKey: "partnerdesk/cases/GC1/CASE-2026-000009/v1/CASE-2026-000009-v1.zip",
    size: 48_000,
    sha256: "a".repeat(64),
    mode: "governance",
    retainUntil: "2033-11-30T00:00:00Z",
    legalHold: true,
    createdAt: NOW,
    completedAt: NOW,
    lastError: null,
    verifiedAt: null,
    verifiedOk: null,
    ...patch,
  };
}

function basics(cmd: string): unknown {
  if (cmd === "outbox_list") return [];
  if (cmd === "list_users") return [];
  if (cmd === "retention_policy")
    return {
      connectorId: "k1",
      mode: "governance",
      defaultDays: 2555,
      periods: [],
      exportOnClose: true,
      exportClosedAfterDays: null,
    };
  return undefined;
}

describe("retention", () => {
  it("shows a case's export with its retention, verifies it and releases its hold only with a reason", async () => {
    const report: VerifyReport = {
      ok: true,
      filesChecked: 5,
      message: "Verified: the archive and all 5 files match their SHA-256 in the manifest.",
      problems: [],
    };
    const { callsOf } = renderApp((cmd) => {
      if (cmd === "get_case") return CASE;
      if (cmd === "list_exports") return [exported()];
      if (cmd === "verify_export") return report;
      if (cmd === "release_legal_hold") return 1;
      return basics(cmd);
    }, "#/cases/c9");
    expect(await screen.findByTestId("export-retention")).toHaveTextContent("Kept until");
    expect(screen.getByTestId("export-hold")).toHaveTextContent("Legal hold");
    fireEvent.click(screen.getByTestId("export-verify"));
    expect(await screen.findByTestId("export-verify-result")).toHaveTextContent("Verified");
    expect(callsOf("verify_export")[0]?.args).toEqual({ exportId: "e1" });

    fireEvent.click(screen.getByTestId("hold-release"));
    fireEvent.change(screen.getByTestId("hold-reason"), { target: { value: "Dispute settled" } });
    fireEvent.click(screen.getByTestId("hold-confirm"));
    await waitFor(() => expect(callsOf("release_legal_hold")).toHaveLength(1));
    expect(callsOf("release_legal_hold")[0]?.args).toEqual({
      scope: { type: "case", case_id: "c9" },
      reason: "Dispute settled",
    });
  });

  it("lists failed exports with their reason in the Retention view", async () => {
    renderApp((cmd) => {
      if (cmd === "list_exports")
        return [exported({ id: "e2", state: "failed", lastError: "The bucket refused the upload.", legalHold: false })];
      return basics(cmd);
    }, "#/retention");
    expect(await screen.findByTestId("retention-failures")).toHaveTextContent("1 export failed");
    expect(screen.getByTestId("export-error")).toHaveTextContent("The bucket refused the upload.");
  });
});
