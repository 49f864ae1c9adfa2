// Attaching files to a case (issue 10): a drag over the window highlights the target under the
// pointer (a case-list row, the open case, "New case"), a drop waits in the confirmation strip with
// names and sizes until the analyst attaches or cancels it, "Attach files…" (and its key) picks
// files into the same strip, the attach report's duplicates and refused files are said in words on
// the case, and a document shows its upload until the bytes are there. Everything goes through
// the commands with the drop's id only.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { emit } from "@tauri-apps/api/event";
import type { CaseDetail, DragPayload, DropView, TransferView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";
import { resetTransfersStream } from "./hooks";
import { resetDropFlow } from "./dropFlow";

const CASE = "00000000-0000-4000-8000-000000000014";

function dropView(patch: Partial<DropView> = {}): DropView {
  return {
    id: "drop-1-abc",
    files: [
      { name: "POD_SH32429248.pdf", size: 245_760, folder: "" },
      { name: "pallet-photo.jpg", size: 3 * 1024 * 1024, folder: "" },
    ],
    totalSize: 245_760 + 3 * 1024 * 1024,
    folders: 0,
    needsConfirmation: false,
    skipped: [],
    ...patch,
  };
}

function drag(phase: DragPayload["phase"], dropped: DropView | null = null, count = 2): Promise<void> {
  return act(async () => {
    await emit("pd://drag", { phase, x: 300, y: 200, count, dropped, error: null } satisfies DragPayload);
  });
}

/** jsdom has no layout: the element "under the pointer" is the one a test names. */
let underPointer: Element | null = null;
beforeEach(() => {
  underPointer = null;
  document.elementFromPoint = () => underPointer;
});
afterEach(() => {
  resetTransfersStream();
  resetDropFlow();
});

describe("dropping files on the window", () => {
  it("highlights the case row under the pointer, lists the drop, and attaches it to that case", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
    const rows = await screen.findAllByTestId("case-row");
    const row = rows[2];
    const caseId = row.dataset.caseId!;
    expect(row.dataset.dropTarget).toBe("case");
    underPointer = within(row).getByTestId("case-row-title");

    await drag("enter");
    expect(row).toHaveAttribute("data-drop-over", "true");
    expect(screen.getByTestId("drop-tag")).toHaveTextContent(`2 items → ${row.dataset.dropLabel}`);
    // Moving off every target clears the highlight and says where files can go.
    underPointer = document.body;
    await drag("over");
    expect(row).not.toHaveAttribute("data-drop-over");
    expect(screen.getByTestId("drop-tag")).toHaveTextContent("drop onto a case, a row of the case list, or New case");
    await drag("leave");
    expect(screen.queryByTestId("drop-tag")).not.toBeInTheDocument();

    underPointer = within(row).getByTestId("case-row-title");
    await drag("enter");
    const drop = dropView();
    backend.registerDrop(drop);
    await drag("drop", drop);
    expect(row).not.toHaveAttribute("data-drop-over");
    const strip = await screen.findByTestId("drop-strip");
    const reference = backend.answer("get_case", { id: caseId }).case.reference;
    await waitFor(() => expect(within(strip).getByTestId("drop-strip-title")).toHaveTextContent(`Attach 2 files (3.2 MB) to ${reference}`));
    expect(within(strip).getAllByTestId("drop-file").map((f) => f.textContent)).toEqual(["POD_SH32429248.pdf240 KB", "pallet-photo.jpg3.0 MB"]);

    fireEvent.click(within(strip).getByTestId("drop-attach"));
    await waitFor(() => expect(callsOf("attach_drop")).toHaveLength(1));
    expect(callsOf("attach_drop")[0].args).toEqual({ dropId: drop.id, target: { kind: "case", caseId }, confirmed: false });
    expect(await screen.findByTestId("drop-message")).toHaveTextContent("2 files attached (uploads show in Transfers).");
    expect(screen.queryByTestId("drop-strip")).not.toBeInTheDocument();
    expect(callsOf("discard_drop")).toHaveLength(0);
  });

  it("Cancel (or Escape) forgets the drop; nothing is attached", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE}`);
    underPointer = await screen.findByTestId("case-title");
    const drop = dropView();
    backend.registerDrop(drop);
    await drag("drop", drop);
    const strip = await screen.findByTestId("drop-strip");
    fireEvent.click(within(strip).getByTestId("drop-cancel"));
    await waitFor(() => expect(callsOf("discard_drop")).toEqual([{ cmd: "discard_drop", args: { dropId: drop.id } }]));
    expect(screen.queryByTestId("drop-strip")).not.toBeInTheDocument();

    const again = dropView({ id: "drop-2-def" });
    backend.registerDrop(again);
    await drag("drop", again);
    fireEvent.keyDown(within(await screen.findByTestId("drop-strip")).getByTestId("drop-attach"), { key: "Escape" });
    await waitFor(() => expect(callsOf("discard_drop")).toHaveLength(2));
    expect(callsOf("attach_drop")).toHaveLength(0);
    // Escape in the strip did not also leave the case.
    expect(window.location.hash).toBe(`#/cases/${CASE}`);
  });

  it("a folder bringing more files than the confirmation count waits for an explicit yes", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE}`);
    underPointer = await screen.findByTestId("case-title");
    const files = Array.from({ length: 24 }, (_, i) => ({ name: `scan-${String(i).padStart(2, "0")}.png`, size: 1000 + i, folder: "scans" }));
    const drop = dropView({ files, totalSize: files.reduce((s, f) => s + f.size, 0), folders: 1, needsConfirmation: true, skipped: ["notes.txt cannot be read (Permission denied)."] });
    backend.registerDrop(drop);
    await drag("drop", drop);
    const strip = await screen.findByTestId("drop-strip");
    expect(within(strip).getAllByTestId("drop-file")).toHaveLength(6);
    expect(within(strip).getByTestId("drop-more")).toHaveTextContent("and 18 more");
    expect(within(strip).getByTestId("drop-skipped")).toHaveTextContent("notes.txt cannot be read (Permission denied).");
    const attach = within(strip).getByTestId("drop-attach");
    expect(attach).toBeDisabled();
    fireEvent.click(attach);
    expect(callsOf("attach_drop")).toHaveLength(0);
    fireEvent.click(within(strip).getByTestId("drop-confirm"));
    expect(attach).toBeEnabled();
    fireEvent.click(attach);
    await waitFor(() => expect(callsOf("attach_drop")).toHaveLength(1));
    expect(callsOf("attach_drop")[0].args).toEqual({ dropId: drop.id, target: { kind: "case", caseId: CASE }, confirmed: true });
  });

  it("a drop that lands on no target asks where the files go", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/transfers");
    await screen.findByText("No transfers yet");
    underPointer = document.body;
    const drop = dropView();
    backend.registerDrop(drop);
    await drag("drop", drop);
    const strip = await screen.findByTestId("drop-strip");
    expect(strip).toHaveTextContent("Where should these 2 files (3.2 MB) go? Drop them onto a case, a row of the case list, or New case.");
    expect(within(strip).queryByTestId("drop-attach")).not.toBeInTheDocument();
    fireEvent.click(within(strip).getByTestId("drop-new-case"));
    expect(await screen.findByTestId("new-case-dialog")).toBeInTheDocument();
    expect(callsOf("attach_drop")).toHaveLength(0);
  });

  it("a drop onto New case opens the form with the files; creating the case attaches them", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
    await screen.findAllByTestId("case-row");
    const button = screen.getByTestId("new-case");
    underPointer = button;
    await drag("enter");
    expect(button).toHaveAttribute("data-drop-over", "true");
    expect(screen.getByTestId("drop-tag")).toHaveTextContent("New case with these files");
    const drop = dropView();
    backend.registerDrop(drop);
    await drag("drop", drop);
    const dialog = await screen.findByTestId("new-case-dialog");
    expect(within(dialog).getAllByTestId("new-case-file").map((f) => f.textContent)).toEqual(["POD_SH32429248.pdf240 KB", "pallet-photo.jpg3.0 MB"]);

    const partner = backend.answer("list_partners", { search: null })[3].partner;
    fireEvent.change(screen.getByTestId("new-case-title"), { target: { value: "Pallets damaged at DC 4" } });
    await waitFor(() => expect(within(screen.getByTestId("new-case-partner")).getAllByRole("option").length).toBeGreaterThan(1));
    fireEvent.change(screen.getByTestId("new-case-partner"), { target: { value: partner.partnerCompanyId } });
    fireEvent.change(screen.getByTestId("new-case-priority"), { target: { value: "high" } });
    fireEvent.change(screen.getByTestId("new-case-description"), { target: { value: "Three pallets arrived crushed." } });
    expect(within(dialog).getByTestId("new-case-submit")).toHaveTextContent("Create case with 2 files");
    fireEvent.click(within(dialog).getByTestId("new-case-submit"));
    await waitFor(() => expect(callsOf("attach_drop")).toHaveLength(1));
    await waitFor(() => expect(window.location.hash).toMatch(/^#\/cases\/case-local-/));
    const created = decodeURIComponent(window.location.hash.split("/")[2]);
    expect(callsOf("create_case")).toHaveLength(1);
    expect(callsOf("attach_drop")[0].args).toEqual({ dropId: drop.id, target: { kind: "case", caseId: created }, confirmed: true });
    expect(await screen.findByTestId("case-title")).toHaveTextContent("Pallets damaged at DC 4");
    expect(screen.queryByTestId("new-case-dialog")).not.toBeInTheDocument();
    expect(callsOf("discard_drop")).toHaveLength(0);
  });
});

describe("Attach files… (the keyboard way)", () => {
  it("picks files with the a key, attaches them, and says on the case which were duplicates or refused", async () => {
    const picked = dropView({
      files: [
        { name: "POD_SH32429248.pdf", size: 245_760, folder: "" },
        { name: "receiving copy.csv", size: 316, folder: "" },
        { name: "empty.txt", size: 0, folder: "" },
      ],
      totalSize: 245_760 + 316,
    });
    const backend = createMockBackend({
      picked,
      attachOutcomes: {
        "POD_SH32429248.pdf": { outcome: "queued", transferId: "upload:7", documentId: "doc-new", route: "collab" },
        "receiving copy.csv": { outcome: "duplicate", existingDocumentId: "00000000-0000-4000-8000-000000000091", existingName: "receiving_4500048639.csv" },
        "empty.txt": { outcome: "refused", error: { code: "input.invalid", message: "empty.txt is empty (0 bytes): there is nothing to attach." } },
      },
    });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE}`);
    const button = await screen.findByTestId("attach-files");
    expect(button).toHaveAttribute("title", expect.stringContaining("(a)"));
    fireEvent.keyDown(document.body, { key: "a" });
    await waitFor(() => expect(callsOf("pick_files")).toHaveLength(1));
    const strip = await screen.findByTestId("drop-strip");
    await waitFor(() => expect(strip).toHaveTextContent("Attach 3 files (240 KB) to CASE-2026-000052"));
    fireEvent.click(within(strip).getByTestId("drop-attach"));
    await waitFor(() => expect(callsOf("attach_drop")).toHaveLength(1));
    expect(callsOf("attach_drop")[0].args).toEqual({ dropId: picked.id, target: { kind: "case", caseId: CASE }, confirmed: false });
    expect(await screen.findByTestId("drop-message")).toHaveTextContent("1 file attached (uploads show in Transfers), 1 already on it, 1 refused (see the case).");
    const notes = await screen.findAllByTestId("attach-note");
    expect(notes.map((n) => [n.dataset.outcome, n.textContent])).toEqual([
      ["duplicate", "receiving copy.csv is already on this case as receiving_4500048639.csv (same content): not uploaded again."],
      ["refused", "empty.txt was not attached: empty.txt is empty (0 bytes): there is nothing to attach."],
    ]);
    fireEvent.click(screen.getByTestId("attach-report-dismiss"));
    expect(screen.queryByTestId("attach-report")).not.toBeInTheDocument();
  });

  it("typing a in a field does not open the picker; a cancelled picker changes nothing", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE}`);
    const input = await screen.findByTestId("comment-input");
    fireEvent.keyDown(input, { key: "a" });
    expect(callsOf("pick_files")).toHaveLength(0);
    fireEvent.click(screen.getByTestId("attach-files"));
    await waitFor(() => expect(callsOf("pick_files")).toHaveLength(1));
    expect(screen.queryByTestId("drop-strip")).not.toBeInTheDocument();
  });
});

describe("a document on its way", () => {
  it("shows uploading n% until its upload is done, and a paused or failed upload in words", async () => {
    const running: TransferView = {
      id: "upload:7",
      direction: "upload",
      name: "POD_SH32429248.pdf",
      caseId: CASE,
      state: "running",
      doneBytes: 42 * 1024 * 1024,
      totalBytes: 100 * 1024 * 1024,
      bytesPerSecond: 8 * 1024 * 1024,
      secondsLeft: 7,
      error: null,
      queuedAt: new Date().toISOString(),
    };
    const failed: TransferView = { ...running, id: "upload:8", name: "pallet-photo.jpg", state: "failed", error: { code: "net.offline", message: "The S3 bucket cannot be reached." } };
    const incoming: TransferView = { ...running, id: "upload:10", name: "pallet-scan.tif", doneBytes: 10, totalBytes: 40 };
    const pkg: TransferView = { ...running, id: `package:${CASE}:1`, name: "Case package CASE-2026-000052.zip" };
    const backend = createMockBackend({ transfers: [running, failed, incoming, pkg] });
    const detail = backend.answer("get_case", { id: CASE }) as CaseDetail;
    const base = detail.documents[0];
    backend.setAnswer("get_case", { id: CASE }, {
      ...detail,
      documents: [
        ...detail.documents,
        { ...base, id: "doc-new", name: "POD_SH32429248.pdf", sendState: "pending", size: running.totalBytes },
        { ...base, id: "doc-photo", name: "pallet-photo.jpg", sendState: "pending", size: running.totalBytes },
      ],
    });
    renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE}`);
    const docs = await screen.findAllByTestId("document");
    expect(docs).toHaveLength(3);
    expect(within(docs[0]).queryByTestId("document-upload")).not.toBeInTheDocument();
    await waitFor(() => expect(within(docs[1]).getByTestId("document-upload")).toHaveTextContent("Uploading 42%"));
    expect(within(docs[2]).getByTestId("document-upload")).toHaveTextContent("Upload failed: The S3 bucket cannot be reached.");
    // A large file's document comes once its bytes are in the bucket: its upload stands in.
    const stands = screen.getAllByTestId("incoming-upload");
    expect(stands.map((r) => r.dataset.transferId)).toEqual(["upload:10"]);
    expect(within(stands[0]).getByTestId("document-upload")).toHaveTextContent("Uploading 25%");
    // The status bar counts the active uploads with their percent, and opens Transfers.
    const indicator = screen.getByTestId("transfers-indicator");
    expect(indicator).toHaveTextContent("3 transfers · 41%");
    expect(indicator).toHaveTextContent("1 failed");
    expect(indicator).toHaveAttribute("href", "#/transfers");
  });
});

describe("the Transfers view", () => {
  it("says in words when the transfers cannot be read", async () => {
    const backend = createMockBackend();
    renderApp((cmd, args) => {
      if (cmd === "watch_transfers" || cmd === "transfers_list") throw { code: "ipc.failed", message: "The app did not answer." };
      return backend.handle(cmd, args);
    }, "#/transfers");
    expect(await screen.findByText("Could not read the transfers")).toBeInTheDocument();
    expect(screen.getByTestId("error-state")).toHaveTextContent("The app did not answer.");
  });

  it("shows each transfer's percent, and its buttons name what they act on", async () => {
    const paused: TransferView = {
      id: "upload:9",
      direction: "upload",
      name: "big-scan.tif",
      caseId: CASE,
      state: "paused",
      doneBytes: 30,
      totalBytes: 200,
      bytesPerSecond: 0,
      secondsLeft: null,
      error: null,
      queuedAt: new Date().toISOString(),
    };
    const backend = createMockBackend({ transfers: [paused] });
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/transfers");
    const row = await screen.findByTestId("transfer");
    expect(within(row).getByTestId("transfer-percent")).toHaveTextContent("15%");
    const resume = within(row).getByRole("button", { name: "Resume uploading big-scan.tif" });
    resume.focus();
    fireEvent.click(resume);
    await waitFor(() => expect(callsOf("transfer_action")).toEqual([{ cmd: "transfer_action", args: { transferId: "upload:9", action: "resume" } }]));
    expect(within(row).getByRole("button", { name: "Cancel uploading big-scan.tif" })).toBeInTheDocument();
  });
});

describe("the Folders view", () => {
  it("keeps its drops: no strip and no highlight there", async () => {
    const backend = createMockBackend();
    const { callsOf } = renderApp((cmd, args) => backend.handle(cmd, args), "#/folders");
    await screen.findByRole("heading", { name: "Folders" });
    underPointer = document.body;
    await drag("enter");
    expect(screen.queryByTestId("drop-tag")).not.toBeInTheDocument();
    await drag("drop", dropView());
    expect(screen.queryByTestId("drop-strip")).not.toBeInTheDocument();
    expect(callsOf("discard_drop")).toHaveLength(0);
  });
});

describe("the strip's confirmation", () => {
  it("goes by itself after a while, while an error stays", async () => {
    const { showMessage } = await import("./dropFlow");
    const backend = createMockBackend();
    renderApp((cmd, args) => backend.handle(cmd, args), `#/cases/${CASE}`);
    await screen.findByTestId("case-title");
    vi.useFakeTimers();
    try {
      act(() => showMessage({ tone: "ok", text: "2 files attached (uploads show in Transfers).", caseId: CASE }));
      expect(screen.getByTestId("drop-message")).toBeInTheDocument();
      act(() => vi.advanceTimersByTime(16_000));
      expect(screen.queryByTestId("drop-message")).not.toBeInTheDocument();
      act(() => showMessage({ tone: "error", text: "Those files are no longer waiting to be attached.", caseId: null }));
      act(() => vi.advanceTimersByTime(60_000));
      expect(screen.getByTestId("drop-message")).toHaveTextContent("no longer waiting");
    } finally {
      vi.useRealTimers();
    }
  });
});
