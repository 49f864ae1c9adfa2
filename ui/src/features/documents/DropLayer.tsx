// Files dragged onto the window (issue 10). The shell reports the native drag as `pd://drag` with
// the pointer's position; the target under it (an open case, a row of the case list, "New case":
// elements marked `data-drop-target`) is highlighted while dragging and a tag by the pointer says
// where the files would go. A drop (or files picked with "Attach files…") waits in the
// confirmation strip with names and sizes until the analyst attaches or cancels it; a drop onto
// "New case" opens the new-case form with the files listed. On the Folders view drops are that
// view's (a dropped folder is added as a drop folder), so this layer stays out of them.
import { useEffect, useState } from "react";
import { listen } from "@tauri-apps/api/event";
import type { DragPayload, DropView } from "../../bindings";
import { fileSize } from "../../lib/format";
import { navigate, parseRoute, routeHref, useRoute } from "../../lib/router";
import { InertText } from "../../components/InertText";
import { NewCaseDialog } from "../cases/NewCaseDialog";
import { useCase } from "../cases/hooks";
import {
  clearPending,
  dropFlowState,
  highlight,
  offerDrop,
  retarget,
  showMessage,
  targetElementAt,
  targetOf,
  useDropFlow,
  type DropTarget,
  type PendingDrop,
} from "./dropFlow";
import { DRAG_EVENT, forgetDrop, useAttachDrop } from "./hooks";

/** Where the pointer is while files are dragged, and what the target there is called. */
interface Dragging {
  x: number;
  y: number;
  count: number;
  label: string | null;
}

/** "3 files (2.1 MB)". */
export function filesSummary(drop: DropView): string {
  const n = drop.files.length;
  return `${n} file${n === 1 ? "" : "s"} (${fileSize(drop.totalSize)})`;
}

/** A drop on the window waits for the analyst (a drop still waiting is forgotten). */
function onDrop(drop: DropView, target: DropTarget): void {
  const replaced = offerDrop({ drop, target, source: "drop" });
  if (replaced) forgetDrop(replaced.drop.id);
}

/** Listens to `pd://drag` for the life of the window: highlight, pointer tag, drop. */
function useNativeDrag(onDrop: (drop: DropView, target: DropTarget) => void) {
  const [dragging, setDragging] = useState<Dragging | null>(null);
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    listen<DragPayload>(DRAG_EVENT, ({ payload }) => {
      // The Folders view takes drops itself (a dropped folder becomes a drop folder).
      if (parseRoute(window.location.hash).name === "folders") return;
      if (payload.phase === "leave") {
        highlight(null);
        setDragging(null);
        return;
      }
      const element = targetElementAt(payload.x, payload.y);
      if (payload.phase === "drop") {
        highlight(null);
        setDragging(null);
        if (payload.dropped) onDrop(payload.dropped, targetOf(element));
        else if (payload.error) showMessage({ tone: "error", text: payload.error.message, caseId: null });
        return;
      }
      highlight(element);
      setDragging((before) => ({
        x: payload.x,
        y: payload.y,
        count: payload.count || before?.count || 0,
        label: element?.dataset.dropLabel ?? null,
      }));
    })
      .then((unlisten) => {
        if (cancelled) unlisten();
        else stop = unlisten;
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
      stop?.();
      highlight(null);
    };
  }, [onDrop]);
  return dragging;
}

/** The widest the pointer's tag gets (styles.css `.drop-tag`). */
const TAG_WIDTH = 360;

/** The tag by the pointer while dragging. */
function PointerTag({ dragging }: { dragging: Dragging }) {
  const what = dragging.count > 0 ? `${dragging.count} item${dragging.count === 1 ? "" : "s"}` : "Files";
  return (
    <div
      className={`drop-tag${dragging.label ? "" : " drop-tag-none"}`}
      style={
        // Right of the pointer, or left of it near the window's right edge.
        dragging.x + 16 + TAG_WIDTH > window.innerWidth
          ? { right: Math.max(4, window.innerWidth - dragging.x + 16), top: dragging.y + 16 }
          : { left: dragging.x + 16, top: dragging.y + 16 }
      }
      data-testid="drop-tag"
      aria-hidden="true"
    >
      {dragging.label ? (
        <>
          {what} → <InertText text={dragging.label} />
        </>
      ) : (
        `${what}: drop onto a case, a row of the case list, or New case`
      )}
    </div>
  );
}

/** The case a drop goes to, by its reference and title. */
function CaseName({ caseId }: { caseId: string }) {
  const detail = useCase(caseId);
  if (!detail.data) return <span className="mono">{detail.isError ? "that case" : "…"}</span>;
  const c = detail.data.case;
  return (
    <a href={routeHref({ name: "case", id: c.id })} className="drop-case">
      <span className="mono">{c.reference}</span> <InertText text={c.title} />
    </a>
  );
}

const LISTED = 6;
/** How long a confirmation stays in the strip. */
const MESSAGE_FOR_MS = 15_000;

/** The confirmation strip: what waits, where it goes, Attach / Cancel. */
function DropStrip({ pending }: { pending: PendingDrop }) {
  const { drop, target } = pending;
  const route = useRoute();
  const attach = useAttachDrop();
  const [confirmed, setConfirmed] = useState(false);
  useEffect(() => setConfirmed(false), [drop.id]);
  const empty = drop.files.length === 0;
  const needsChoice = target.kind === "none";
  const blocked = empty || needsChoice || (drop.needsConfirmation && !confirmed) || attach.isPending;

  const cancel = () => {
    forgetDrop(drop.id);
    attach.reset();
    clearPending(null);
  };
  const go = () => {
    if (blocked || target.kind !== "case") return;
    attach.mutate({ dropId: drop.id, caseId: target.caseId, confirmed });
  };
  // A drop that lands nowhere on a case's page goes to that case.
  const here = route.name === "case" ? route.id : null;

  return (
    <section
      className="drop-strip"
      role="region"
      aria-label="Files to attach"
      data-testid="drop-strip"
      data-drop-id={drop.id}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          e.preventDefault();
          cancel();
        }
      }}
    >
      <div className="drop-strip-head">
        <svg viewBox="0 0 20 20" aria-hidden="true" className="drop-strip-icon">
          <path d="M10 3v9M6.5 8.5 10 12l3.5-3.5M4 14v2.5h12V14" />
        </svg>
        <span className="drop-strip-title" data-testid="drop-strip-title">
          {empty ? (
            "Nothing to attach from what was dropped."
          ) : target.kind === "case" ? (
            <>
              Attach {filesSummary(drop)} to <CaseName caseId={target.caseId} />?
            </>
          ) : (
            <>Where should these {filesSummary(drop)} go? Drop them onto a case, a row of the case list, or New case.</>
          )}
        </span>
        <span className="top-bar-spacer" />
        {needsChoice && !empty && here && (
          <button type="button" className="btn btn-small" onClick={() => retarget({ kind: "case", caseId: here })} data-testid="drop-to-this-case">
            Attach to this case
          </button>
        )}
        {needsChoice && !empty && (
          <button type="button" className="btn btn-small" onClick={() => retarget({ kind: "new-case" })} data-testid="drop-new-case">
            New case with these files
          </button>
        )}
        {!needsChoice && !empty && (
          <button
            type="button"
            className="btn btn-small btn-primary"
            onClick={go}
            disabled={blocked}
            autoFocus
            data-testid="drop-attach"
          >
            {attach.isPending ? "Attaching…" : "Attach"}
          </button>
        )}
        <button type="button" className="btn btn-small" onClick={cancel} data-testid="drop-cancel" autoFocus={needsChoice || empty}>
          {empty ? "Close" : "Cancel"}
        </button>
      </div>
      {!empty && (
        <ul className="drop-files" data-testid="drop-files">
          {drop.files.slice(0, LISTED).map((f, i) => (
            <li key={`${f.folder}/${f.name}/${i}`} className="drop-file" data-testid="drop-file">
              <span className="truncate">
                {f.folder && <span className="muted">{f.folder}/</span>}
                <InertText text={f.name} />
              </span>
              <span className="muted small">{fileSize(f.size)}</span>
            </li>
          ))}
          {drop.files.length > LISTED && (
            <li className="drop-file muted" data-testid="drop-more">
              and {drop.files.length - LISTED} more
            </li>
          )}
        </ul>
      )}
      {drop.skipped.length > 0 && (
        <ul className="drop-skipped" data-testid="drop-skipped">
          {drop.skipped.map((s) => (
            <li key={s} className="small status-warning">
              {s}
            </li>
          ))}
        </ul>
      )}
      {drop.needsConfirmation && !empty && (
        <label className="drop-confirm">
          <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} data-testid="drop-confirm" />
          Yes, attach all {drop.files.length} files from {drop.folders} folder{drop.folders === 1 ? "" : "s"}
        </label>
      )}
      {attach.isError && (
        <p className="small status-error" role="alert" data-testid="drop-error">
          {attach.error.message}
        </p>
      )}
    </section>
  );
}

/** What the strip says once nothing waits (the outcome of the last attach). */
function DropMessage() {
  const { message } = useDropFlow();
  const route = useRoute();
  // A confirmation goes by itself after a while (the case and Transfers keep the details); an
  // error stays until dismissed.
  useEffect(() => {
    if (message?.tone !== "ok") return;
    const timer = window.setTimeout(() => {
      if (dropFlowState().message === message) showMessage(null);
    }, MESSAGE_FOR_MS);
    return () => window.clearTimeout(timer);
  }, [message]);
  if (!message) return null;
  const elsewhere = message.caseId && !(route.name === "case" && route.id === message.caseId);
  return (
    <section className={`drop-strip drop-strip-message${message.tone === "error" ? " drop-strip-error" : ""}`} role="status" data-testid="drop-message">
      <span className="drop-strip-head">
        <span className="drop-strip-title">{message.text}</span>
        <span className="top-bar-spacer" />
        {elsewhere && message.caseId && (
          <a className="btn btn-small" href={routeHref({ name: "case", id: message.caseId })} onClick={() => showMessage(null)}>
            Open case
          </a>
        )}
        <a className="btn btn-small" href={routeHref({ name: "transfers" })} onClick={() => showMessage(null)}>
          Transfers
        </a>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => showMessage(null)} aria-label="Dismiss" data-testid="drop-message-dismiss">
          ×
        </button>
      </span>
    </section>
  );
}

/** Mounted once in the shell: native drag, the confirmation strip, the new-case form for a drop. */
export function DropLayer() {
  const flow = useDropFlow();
  const dragging = useNativeDrag(onDrop);
  const pending = flow.pending;
  return (
    <>
      {dragging && <PointerTag dragging={dragging} />}
      {pending && pending.target.kind === "new-case" ? (
        <NewCaseDialog
          drop={pending.drop}
          onClose={() => {
            forgetDrop(pending.drop.id);
            clearPending(null);
          }}
          onCreated={(caseId) => {
            clearPending(null);
            navigate({ name: "case", id: caseId });
          }}
        />
      ) : (
        pending && <DropStrip pending={pending} />
      )}
      {!pending && <DropMessage />}
    </>
  );
}
