// "Send to partner…" on a document row (issue 11): choose one of the SFTP connectors that have
// a partner inbox and queue the document for it; the row then says "Sending n%", "Sent to …" or
// why it was not sent, with Retry. Keyboard: the button opens the chooser with the inbox list
// focused, Enter sends, Escape closes.
import { useEffect, useRef, useState } from "react";
import type { DeliveryView, DocumentView, TransferView } from "../../bindings";
import { dateTime } from "../../lib/format";
import { routeHref } from "../../lib/router";
import { InertText } from "../../components/InertText";
import { ProgressBar } from "../../components/bits";
import { useTransferAction } from "./hooks";
import { deliveryTransferId, remotePath, useDeliverDocument, useDeliveryTargets } from "./deliveries";

/** The row's "Send to partner…" button; the row shows [`SendChooser`] while `open`. */
export function SendToPartnerButton({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      className="btn btn-small"
      data-testid="document-send"
      aria-expanded={open}
      title="Send this document to a partner's SFTP inbox"
      onClick={onToggle}
    >
      Send to partner…
    </button>
  );
}

/** The chooser of a partner inbox for one document. */
export function SendChooser({ doc, onClose }: { doc: DocumentView; onClose: () => void }) {
  const targets = useDeliveryTargets();
  const deliver = useDeliverDocument();
  const [chosen, setChosen] = useState<string>("");
  const select = useRef<HTMLSelectElement>(null);
  const list = targets.data ?? [];
  const connectorId = chosen || list[0]?.connectorId || "";
  useEffect(() => {
    select.current?.focus();
  }, [list.length]);
  const send = () => {
    if (!connectorId) return;
    deliver.mutate({ caseId: doc.caseId, documentId: doc.id, connectorId }, { onSuccess: onClose });
  };
  return (
    <div
      className="send-chooser"
      role="group"
      aria-label={`Send ${doc.name} to a partner`}
      data-testid="send-chooser"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      {targets.isPending && <span className="small muted">Looking for partner inboxes…</span>}
      {targets.isError && (
        <span className="small status-error" role="alert">
          Could not read the partner inboxes: {targets.error.message}
        </span>
      )}
      {targets.isSuccess && list.length === 0 && (
        <span className="small" data-testid="send-empty">
          No partner inbox is set up. Add an SFTP connector in <a href={routeHref({ name: "settings" })}>Settings</a>, then give it a
          partner inbox under Connector work.{" "}
          <button type="button" className="btn btn-small btn-ghost" onClick={onClose} autoFocus>
            Close
          </button>
        </span>
      )}
      {list.length > 0 && (
        <form
          className="send-form"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <label className="small" htmlFor={`send-target-${doc.id}`}>
            Send to
          </label>
          <select
            id={`send-target-${doc.id}`}
            ref={select}
            className="input"
            value={connectorId}
            onChange={(e) => setChosen(e.target.value)}
            data-testid="send-target"
          >
            {list.map((t) => (
              <option key={t.connectorId} value={t.connectorId}>
                {t.name} · {t.inbox} ({t.server})
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-small btn-primary" disabled={deliver.isPending} data-testid="send-confirm">
            {deliver.isPending ? "Queueing…" : "Send"}
          </button>
          <button type="button" className="btn btn-small" onClick={onClose}>
            Cancel
          </button>
        </form>
      )}
      {deliver.error && (
        <span className="small status-error" role="alert" data-testid="send-error">
          {deliver.error.message}
        </span>
      )}
    </div>
  );
}

/** Where the latest delivery of a document stands, as its row says it. */
export function DeliveryStatus({ delivery, transfers }: { delivery: DeliveryView; transfers: readonly TransferView[] }) {
  const action = useTransferAction();
  const t = transfers.find((x) => x.id === deliveryTransferId(delivery.id));
  const to = `${delivery.connectorName} ${remotePath(delivery)}`;
  const retry = (
    <button
      type="button"
      className="btn btn-small"
      data-testid="delivery-retry"
      disabled={!t || action.isPending}
      title={t ? undefined : "Open the Transfers view to retry"}
      onClick={() => action.mutate({ id: deliveryTransferId(delivery.id), action: "retry" })}
    >
      Retry
    </button>
  );
  let body: React.ReactNode;
  let tone = "muted";
  switch (delivery.state) {
    case "sent":
      body = (
        <>
          Sent to <InertText text={to} /> at {dateTime(delivery.sentAt)}
        </>
      );
      break;
    case "failed":
      tone = "status-error";
      body = (
        <>
          Not sent to <InertText text={delivery.connectorName} />: <InertText text={delivery.error?.message ?? "see Transfers"} /> {retry}
        </>
      );
      break;
    case "cancelled":
      body = (
        <>
          Sending to <InertText text={delivery.connectorName} /> was cancelled. {retry}
        </>
      );
      break;
    case "queued": {
      const running = t?.state === "running";
      const fraction = t && t.totalBytes > 0 ? t.doneBytes / t.totalBytes : 0;
      body = running ? (
        <>
          <ProgressBar value={fraction} label={`Sending ${delivery.documentName} to ${delivery.connectorName}`} />
          Sending {Math.floor(fraction * 100)}% to <InertText text={to} />
        </>
      ) : delivery.error ? (
        <>
          Waiting to send to <InertText text={delivery.connectorName} />: <InertText text={delivery.error.message} />
        </>
      ) : (
        <>
          Waiting to send to <InertText text={to} />
        </>
      );
      break;
    }
  }
  return (
    <span className={`small doc-delivery ${tone}`} role="status" data-testid="document-delivery" data-state={delivery.state}>
      {body}{" "}
      <a className="small" href={routeHref({ name: "transfers" })}>
        Transfers
      </a>
      {action.error && <span className="status-error"> {action.error.message}</span>}
    </span>
  );
}
