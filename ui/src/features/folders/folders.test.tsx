// The Folders view: each folder's state in words (an offline share with its reason), counts and
// last file; the ledger with each file's case and the rule that placed it, filtered by outcome;
// adding a folder sends its settings, and a refusal is shown in words.
import { describe, expect, it } from "vitest";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import type { FolderSettings, FolderView, LedgerRowView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";

const SETTINGS: FolderSettings = {
  id: "f1",
  name: "ERP exports",
  source: { type: "local", path: "/mnt/erp/out", subfolders: false, polling: true },
  partnerId: "GC1",
  caseKind: "invoice",
  owner: null,
  settleSeconds: 2,
  pollSeconds: 30,
  paused: false,
};

const FOLDER: FolderView = {
  settings: SETTINGS,
  state: "offline",
  reason: "/mnt/erp/out: not found (removed or not mounted); trying again by itself",
  taken: 12,
  duplicates: 1,
  failed: 0,
  waiting: 0,
  lastFile: "PO-4500012345.pdf",
  lastAt: new Date().toISOString(),
};

const ROWS: LedgerRowView[] = [
  {
    id: 2,
    folderId: "f1",
    folderName: "ERP exports",
    path: "PO-4500012345.pdf",
    size: 1200,
    mediaType: "application/pdf",
    seenAt: new Date().toISOString(),
    outcome: "taken",
    detail: null,
    caseId: "case-1",
    caseReference: "CASE-1042",
    documentId: "doc-1",
    rule: "po_number",
    ruleLabel: "PO number in the file name",
    ruleReason: "the file name contains PO 4500012345, on case CASE-1042",
  },
];

function setup(refuseSave = false) {
  const backend = createMockBackend({ now: Date.now() });
  const saved: unknown[] = [];
  const ledgerQueries: unknown[] = [];
  const rendered = renderApp((cmd, args) => {
    switch (cmd) {
      case "list_folders":
        return [FOLDER];
      case "folder_ledger":
        ledgerQueries.push(args.query);
        return (args.query as { outcome: string | null }).outcome === "duplicate" ? [] : ROWS;
      case "save_folder":
        if (refuseSave) throw { code: "input.invalid", message: "/nope is not a folder PartnerDesk can see." };
        saved.push(args.input);
        return { ...FOLDER, settings: { ...(args.input as FolderSettings), id: "f2" }, state: "starting" };
      default:
        return backend.handle(cmd, args);
    }
  }, "#/folders");
  return { saved, ledgerQueries, ...rendered };
}

describe("folders", () => {
  it("shows each folder's state with its reason, counts and last file, and the ledger", async () => {
    setup();
    const row = await screen.findByTestId("folder-row");
    expect(within(row).getByTestId("folder-state")).toHaveTextContent("Offline");
    expect(within(row).getByTestId("folder-reason")).toHaveTextContent("not found (removed or not mounted)");
    expect(within(row).getByTestId("folder-counts")).toHaveTextContent("12 taken · 1 duplicates · 0 failed");
    expect(within(row).getByTestId("folder-counts")).toHaveTextContent("PO-4500012345.pdf");
    const ledgerRow = await screen.findByTestId("ledger-row");
    expect(within(ledgerRow).getByTestId("ledger-outcome-cell")).toHaveTextContent("Taken");
    expect(within(ledgerRow).getByTestId("ledger-case")).toHaveTextContent("CASE-1042");
    expect(within(ledgerRow).getByTestId("ledger-case")).toHaveAttribute("href", "#/cases/case-1");
    expect(within(ledgerRow).getByTestId("ledger-rule")).toHaveTextContent("PO number in the file name");
    expect(within(ledgerRow).getByTestId("ledger-rule")).not.toHaveTextContent("po_number");
    expect(within(ledgerRow).getByTestId("ledger-rule")).toHaveTextContent("the file name contains PO 4500012345");
  });

  it("filters the ledger by outcome", async () => {
    const { ledgerQueries } = setup();
    await screen.findByTestId("ledger-row");
    act(() => {
      fireEvent.change(screen.getByTestId("ledger-outcome"), { target: { value: "duplicate" } });
    });
    await waitFor(() => expect(screen.queryByTestId("ledger-row")).not.toBeInTheDocument());
    expect(ledgerQueries.at(-1)).toMatchObject({ outcome: "duplicate" });
    expect(await screen.findByText("No files yet")).toBeInTheDocument();
  });

  it("adds a local folder with its partner and kind, and shows a refusal in words", async () => {
    const { saved } = setup();
    act(() => screen.getByTestId("folders-add").click());
    fireEvent.change(screen.getByTestId("folder-name"), { target: { value: "Carrier PODs" } });
    fireEvent.change(screen.getByTestId("folder-path"), { target: { value: "/data/pods" } });
    const partner = screen.getByTestId("folder-partner") as HTMLSelectElement;
    await waitFor(() => expect(partner.options.length).toBeGreaterThan(1));
    fireEvent.change(partner, { target: { value: partner.options[1].value } });
    fireEvent.change(screen.getByTestId("folder-kind"), { target: { value: "shipment" } });
    act(() => screen.getByTestId("folder-save").click());
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toMatchObject({
      id: "",
      name: "Carrier PODs",
      source: { type: "local", path: "/data/pods", subfolders: false, polling: false },
      partnerId: partner.options[1].value,
      caseKind: "shipment",
    });
    await waitFor(() => expect(screen.queryByTestId("folder-form")).not.toBeInTheDocument());
  });

  it("keeps the form and says why when the folder is refused", async () => {
    setup(true);
    act(() => screen.getByTestId("folders-add").click());
    fireEvent.change(screen.getByTestId("folder-name"), { target: { value: "Nope" } });
    fireEvent.change(screen.getByTestId("folder-path"), { target: { value: "/nope" } });
    const partner = screen.getByTestId("folder-partner") as HTMLSelectElement;
    await waitFor(() => expect(partner.options.length).toBeGreaterThan(1));
    fireEvent.change(partner, { target: { value: partner.options[1].value } });
    act(() => screen.getByTestId("folder-save").click());
    expect(await screen.findByTestId("folder-form-error")).toHaveTextContent("/nope is not a folder PartnerDesk can see.");
    expect(screen.getByTestId("folder-form")).toBeInTheDocument();
  });
});
