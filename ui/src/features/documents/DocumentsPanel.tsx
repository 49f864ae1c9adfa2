// The documents section of a case: each document with Open, Save as and (for one kept in S3)
// Copy link, its download progress while it comes, and whether it is available offline.
import { useState } from "react";
import type { CaseDetail, Document, TransferView } from "../../bindings";
import { dateTime, documentType, fileSize } from "../../lib/format";
import { InertText, visibleText } from "../../components/InertText";
import {
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

/** The documents panel of a case. */
export function DocumentsPanel({ detail, actions }: { detail: CaseDetail; actions?: React.ReactNode }) {
  const offline = useOfflineDocuments(detail.case.id);
  const transfers = useTransfers();
  const open = useOpenDocument();
  const save = useSaveDocumentAs();
  const link = useCopyDocumentLink();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const share = useShareCasePackage();
  const [shared, setShared] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const kept = new Set(offline.data ?? []);

  const report = (documentId: string) => ({
    onError: (error: Error) => setOutcome({ documentId, tone: "error", text: error.message }),
  });

  return (
    <div className="panel" data-testid="documents-panel" data-drop-target="case" data-case-id={detail.case.id}>
      <h2 className="panel-title">
        Documents <span className="panel-count">{detail.documents.length}</span>
        <span className="top-bar-spacer" />
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
      {detail.documents.length === 0 ? (
        <p className="muted small">No documents attached. Drop files here to attach them.</p>
      ) : (
        <ul className="doc-list">
          {detail.documents.map((d: Document) => {
            const downloading = transfers.find(
              (t) => t.id === `download:${d.id}` && (t.state === "running" || t.state === "queued"),
            );
            const busy = (open.isPending && open.variables?.documentId === d.id) || (save.isPending && save.variables?.documentId === d.id);
            const ref = { caseId: d.caseId, documentId: d.id };
            return (
              <li key={d.id} className="doc" data-testid="document" data-document-id={d.id}>
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
                  {downloading && (
                    <span className="doc-progress" data-testid="document-progress">
                      <progress max={downloading.totalBytes || 1} value={downloading.doneBytes} aria-label={`Downloading ${d.name}`} />
                      <span className="small muted">Downloading {percent(downloading)}</span>
                    </span>
                  )}
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
