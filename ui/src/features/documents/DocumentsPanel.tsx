// The documents section of a case: each document with Open, Save as, Send to partner… (a
// partner's SFTP inbox, with its latest delivery's state) and (for one kept in S3) Copy link, its upload or download progress while it goes, and whether it is available offline;
// "Attach files…" (the keyboard way to drop files on the case) and what the last attach said
// about duplicates and refused files.
import { useEffect, useState } from "react";
import type { AttachReport, CaseDetail, DocumentView, TransferView } from "../../bindings";
import { dateTime, documentType, fileSize } from "../../lib/format";
import { routeHref } from "../../lib/router";
import { InertText, visibleText } from "../../components/InertText";
import { ProgressBar } from "../../components/bits";
import { dismissReport, useDropFlow } from "./dropFlow";
import { isDeliveryTransfer, useCaseDeliveries } from "./deliveries";
import { DeliveryStatus, SendChooser, SendToPartnerButton } from "./SendToPartner";
import {
  ATTACH_SHORTCUT,
  attachNote,
  useAttachFiles,
  useCopyDocumentLink,
  useOfflineDocuments,
  useOpenDocument,
  useSaveDocumentAs,
  useShareCasePackage,
  useTransfers,
} from "./hooks";

/** What the last action on a document said. */
type Outcome = { documentId: string; tone: "ok" | "error"; text: string };

function percent(t: TransferView): string {
  return t.totalBytes > 0 ? `${Math.floor((t.doneBytes / t.totalBytes) * 100)}%` : "";
}

const ACTIVE: readonly TransferView["state"][] = ["queued", "running", "paused", "failed"];

/** The upload carrying a document still on its way: named by the attach report, else by its
 * case and name. */
export function uploadOf(d: DocumentView, transfers: readonly TransferView[], uploads: Record<string, string>): TransferView | undefined {
  if (d.sendState === "sent") return undefined;
  const ups = transfers.filter((t) => t.direction === "upload" && ACTIVE.includes(t.state));
  return (
    ups.find((t) => uploads[t.id] === d.id || t.id === d.id) ??
    ups.find((t) => t.caseId === d.caseId && t.name === d.name && !(t.id in uploads))
  );
}

/** A document's upload, as the case shows it until the bytes are there. */
function UploadProgress({ name, t }: { name: string; t: TransferView }) {
  const label =
    t.state === "failed"
      ? `Upload failed: ${t.error?.message ?? "see Transfers"}`
      : t.state === "paused"
        ? `Upload paused at ${percent(t) || "0%"}`
        : t.state === "queued"
          ? "Waiting to upload"
          : `Uploading ${percent(t) || "0%"}`;
  return (
    <span className={`doc-progress ${t.state === "failed" ? "doc-upload-failed" : "doc-uploading"}`} data-testid="document-upload" data-state={t.state}>
      {t.state !== "failed" && <ProgressBar value={t.totalBytes > 0 ? t.doneBytes / t.totalBytes : 0} label={`Uploading ${name}`} />}
      <span className="small">{label}</span>
      <a className="small" href={routeHref({ name: "transfers" })}>
        Transfers
      </a>
    </span>
  );
}

/** What the last attach on this case said about files it did not upload. */
function AttachNotes({ caseId, report }: { caseId: string; report: AttachReport }) {
  const notes = report.files.flatMap((f) => {
    const text = attachNote(f);
    return text ? [{ f, text }] : [];
  });
  if (notes.length === 0) return null;
  return (
    <div className="attach-report" role="status" data-testid="attach-report">
      <span className="drop-strip-head">
        <strong className="small">Not uploaded from your last drop</strong>
        <span className="top-bar-spacer" />
        <button type="button" className="btn btn-small btn-ghost" onClick={() => dismissReport(caseId)} data-testid="attach-report-dismiss" aria-label="Dismiss">
          ×
        </button>
      </span>
      <ul>
        {notes.map(({ f, text }, i) => (
          <li key={`${f.name}-${i}`} className="small" data-testid="attach-note" data-outcome={f.result.outcome}>
            <InertText text={text} />
          </li>
        ))}
      </ul>
    </div>
  );
}

/** "Attach files…" with its shortcut, the keyboard way to drop files onto the case. */
function AttachButton({ caseId }: { caseId: string }) {
  const attach = useAttachFiles(caseId);
  const { start } = attach;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== ATTACH_SHORTCUT || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target && (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable)) return;
      if (document.querySelector("[aria-modal='true']")) return;
      event.preventDefault();
      start();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [start]);
  return (
    <>
      <button
        type="button"
        className="btn btn-small"
        data-testid="attach-files"
        title={`Attach files (${ATTACH_SHORTCUT}): choose files to upload to this case`}
        aria-keyshortcuts={ATTACH_SHORTCUT}
        disabled={attach.busy}
        onClick={start}
      >
        Attach files…
      </button>
      {attach.error && (
        <span className="small status-error" role="alert">
          {attach.error}
        </span>
      )}
    </>
  );
}

/** The documents panel of a case. */
export function DocumentsPanel({ detail, actions }: { detail: CaseDetail; actions?: React.ReactNode }) {
  const offline = useOfflineDocuments(detail.case.id);
  const transfers = useTransfers();
  const flow = useDropFlow();
  const lastAttach = flow.reports[detail.case.id];
  // Large files get their document once their bytes are in the bucket: until then their upload
  // stands in for it (a case package is no document of the case).
  const carried = new Set(detail.documents.map((d) => uploadOf(d, transfers, flow.uploads)?.id));
  const incoming = transfers.filter(
    (t) =>
      t.direction === "upload" &&
      t.caseId === detail.case.id &&
      ACTIVE.includes(t.state) &&
      !t.id.startsWith("package:") &&
      !isDeliveryTransfer(t) &&
      !carried.has(t.id) &&
      !detail.documents.some((d) => d.id === t.id || d.id === flow.uploads[t.id]),
  );
  const open = useOpenDocument();
  const save = useSaveDocumentAs();
  const link = useCopyDocumentLink();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const share = useShareCasePackage();
  const [shared, setShared] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const kept = new Set(offline.data ?? []);
  // Deliveries to partner inboxes: each document shows its latest one (newest first).
  const deliveries = useCaseDeliveries(detail.case.id);
  const [sending, setSending] = useState<string | null>(null);
  const latestDelivery = (documentId: string) => (deliveries.data ?? []).find((x) => x.documentId === documentId);

  const report = (documentId: string) => ({
    onError: (error: Error) => setOutcome({ documentId, tone: "error", text: error.message }),
  });

  return (
    <div
      className="panel"
      id="case-documents"
      data-testid="documents-panel"
      data-drop-target="case"
      data-case-id={detail.case.id}
      data-drop-label={`${detail.case.reference} · ${visibleText(detail.case.title)}`}
    >
      <h2 className="panel-title">
        Documents <span className="panel-count">{detail.documents.length}</span>
        <span className="top-bar-spacer" />
        <AttachButton caseId={detail.case.id} />
        {actions}
        <button
          type="button"
          className="btn btn-small"
          data-testid="share-package"
          title="Send the partner one zip of the case's documents and conversation (internal notes stay out), through an S3 connector"
          disabled={share.isPending}
          onClick={() => {
            setShared(null);
            share.mutate(detail.case.id, {
              onSuccess: (p) =>
                setShared({ tone: "ok", text: `Package posted on the case for the partner (${fileSize(p.size)}); its link works until ${dateTime(p.expiresAt)}.` }),
              onError: (error) => setShared({ tone: "error", text: error.message }),
            });
          }}
        >
          {share.isPending ? "Packaging…" : "Share package"}
        </button>
      </h2>
      {shared && (
        <p className={`small ${shared.tone === "error" ? "status-error" : "muted"}`} role="status" data-testid="package-outcome">
          {shared.text}
        </p>
      )}
      {lastAttach && <AttachNotes caseId={detail.case.id} report={lastAttach} />}
      {incoming.length > 0 && (
        <ul className="doc-list" data-testid="incoming-uploads">
          {incoming.map((t) => (
            <li key={t.id} className="doc doc-incoming" data-testid="incoming-upload" data-transfer-id={t.id}>
              <span className="doc-icon" aria-hidden="true">
                {documentType("", t.name).slice(0, 4)}
              </span>
              <span className="doc-main">
                <span className="truncate doc-name" title={visibleText(t.name)}>
                  <InertText text={t.name} />
                </span>
                <span className="muted small">
                  {fileSize(t.totalBytes)} · on the case once its upload is done
                </span>
                <UploadProgress name={t.name} t={t} />
              </span>
            </li>
          ))}
        </ul>
      )}
      {detail.documents.length === 0 && incoming.length === 0 ? (
        <p className="muted small" data-testid="documents-empty">
          No documents attached. Drop files here, or press <kbd>{ATTACH_SHORTCUT}</kbd> to choose them.
        </p>
      ) : (
        <ul className="doc-list">
          {detail.documents.map((d: DocumentView) => {
            const uploading = uploadOf(d, transfers, flow.uploads);
            const downloading = transfers.find(
              (t) => t.id === `download:${d.id}` && (t.state === "running" || t.state === "queued"),
            );
            const busy = (open.isPending && open.variables?.documentId === d.id) || (save.isPending && save.variables?.documentId === d.id);
            const ref = { caseId: d.caseId, documentId: d.id };
            return (
              <li key={d.id} className="doc" data-testid="document" data-document-id={d.id} data-send-state={d.sendState}>
                <span className="doc-icon" aria-hidden="true">
                  {documentType(d.mediaType, d.name).slice(0, 4)}
                </span>
                <span className="doc-main">
                  <span className="truncate doc-name" title={visibleText(d.name)}>
                    <InertText text={d.name} />
                  </span>
                  <span className="muted small">
                    {documentType(d.mediaType, d.name)} · {fileSize(d.size)} · <InertText text={d.uploadedBy} />
                    {d.location.type === "s3" && " · in S3"}
                    {kept.has(d.id) && (
                      <span className="doc-offline" data-testid="document-offline" title="Kept on this computer: opens without a connection">
                        {" "}· Available offline
                      </span>
                    )}
                  </span>
                  {uploading && <UploadProgress name={d.name} t={uploading} />}
                  {!uploading && d.sendState === "pending" && (
                    <span className="small muted" data-testid="document-pending">
                      Waiting to be sent
                    </span>
                  )}
                  {d.sendState === "failed" && (
                    <span className="small status-error" data-testid="document-failed">
                      Refused by the server: see the <a href={routeHref({ name: "outbox" })}>Outbox</a>
                    </span>
                  )}
                  {downloading && (
                    <span className="doc-progress" data-testid="document-progress">
                      <ProgressBar value={downloading.totalBytes > 0 ? downloading.doneBytes / downloading.totalBytes : 0} label={`Downloading ${d.name}`} />
                      <span className="small muted">Downloading {percent(downloading)}</span>
                    </span>
                  )}
                  {latestDelivery(d.id) && <DeliveryStatus delivery={latestDelivery(d.id)!} transfers={transfers} />}
                  {sending === d.id && <SendChooser doc={d} onClose={() => setSending(null)} />}
                  {outcome?.documentId === d.id && (
                    <span className={`small ${outcome.tone === "error" ? "status-error" : "muted"}`} role="status" data-testid="document-outcome">
                      {outcome.text}
                    </span>
                  )}
                </span>
                <span className="doc-actions">
                  <button
                    type="button"
                    className="btn btn-small"
                    data-testid="document-open"
                    disabled={busy}
                    onClick={() => {
                      setOutcome(null);
                      open.mutate(ref, report(d.id));
                    }}
                  >
                    Open
                  </button>
                  <button
                    type="button"
                    className="btn btn-small"
                    data-testid="document-save"
                    disabled={busy}
                    onClick={() => {
                      setOutcome(null);
                      save.mutate(ref, {
                        ...report(d.id),
                        onSuccess: (saved) => saved && setOutcome({ documentId: d.id, tone: "ok", text: `Saved to ${saved.path}` }),
                      });
                    }}
                  >
                    Save as…
                  </button>
                  <SendToPartnerButton open={sending === d.id} onToggle={() => setSending(sending === d.id ? null : d.id)} />
                  {d.location.type === "s3" && (
                    <button
                      type="button"
                      className="btn btn-small"
                      data-testid="document-link"
                      onClick={() =>
                        link.mutate(ref, {
                          ...report(d.id),
                          onSuccess: () => setOutcome({ documentId: d.id, tone: "ok", text: "Link copied: anyone with it can download this document for 7 days." }),
                        })
                      }
                    >
                      Copy link
                    </button>
                  )}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
