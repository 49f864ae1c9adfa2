// The Folders view: each drop folder with its state (watching, polling, offline, error with the
// reason), counts and last file, with pause/resume, remove and rescan; a form to add a local
// folder by its path; and the ingest ledger with filters (outcome, folder, dates), each file's
// case and the rule that decided (a file's EDI details in a panel); and the routing rules editor.
import { useState, type FormEvent } from "react";
import type { CaseKind, DropView, FolderSettings, FolderView, LedgerQuery, LedgerRowView } from "../../bindings";
import { EmptyState, ErrorState, SkeletonRows, Spinner } from "../../components/bits";
import { KIND_LABELS, dateTime } from "../../lib/format";
import { api } from "../../lib/ipc";
import { routeHref } from "../../lib/router";
import { PartnerOptions } from "../partners/PartnerOptions";
import { useConnectors } from "../settings/hooks";
import { EdiPanel } from "./EdiPanel";
import { RulesEditor } from "./RulesEditor";
import {
  useAddFolderFromDrop,
  useFolderDrops,
  useFolders,
  useLedger,
  usePauseFolder,
  useRemoveFolder,
  useRescanFolders,
  useSaveFolder,
} from "./hooks";

const STATE_LABELS: Record<FolderView["state"], string> = {
  starting: "Starting",
  watching: "Watching",
  polling: "Polling",
  offline: "Offline",
  error: "Error",
  paused: "Paused",
};

/** The ledger's stored outcome in the analyst's words; an outcome this window does not know yet is shown as stored. */
function outcomeWords(outcome: string): string {
  switch (outcome) {
    case "taken":
      return "Taken";
    case "duplicate":
      return "Duplicate";
    case "failed":
      return "Failed";
    default:
      return outcome;
  }
}

function folderPlace(folder: FolderView): string {
  const source = folder.settings.source;
  return source.type === "local"
    ? source.path
    : `SFTP ${source.remote_dir || "(connector folder)"} → taken: ${source.processed_dir}/, failed: ${source.failed_dir}/`;
}

function FolderRow({ folder }: { folder: FolderView }) {
  const pause = usePauseFolder();
  const remove = useRemoveFolder();
  const [confirm, setConfirm] = useState(false);
  const paused = folder.settings.paused;
  return (
    <li className="outbox-entry" data-testid="folder-row" data-state={folder.state}>
      <div className="outbox-entry-main">
        <div className="outbox-entry-head">
          <strong>{folder.settings.name}</strong>
          <span className="mono small">{folderPlace(folder)}</span>
          <span className={`pill pill-folder-${folder.state}`} data-testid="folder-state">
            {STATE_LABELS[folder.state]}
          </span>
        </div>
        {folder.reason && (
          <p className={folder.state === "error" || folder.state === "offline" ? "outbox-error" : "muted small"} data-testid="folder-reason">
            {folder.reason}
          </p>
        )}
        <p className="muted small" data-testid="folder-counts">
          {folder.taken} taken · {folder.duplicates} duplicates · {folder.failed} failed
          {folder.waiting > 0 && ` · ${folder.waiting} settling`}
          {folder.lastFile && (
            <>
              {" "}· last: <span className="mono">{folder.lastFile}</span>
              {folder.lastAt && ` (${dateTime(folder.lastAt)})`}
            </>
          )}
        </p>
        {(pause.error || remove.error) && (
          <p className="inline-error" role="alert">
            {(pause.error ?? remove.error)?.message}
          </p>
        )}
      </div>
      <div className="outbox-actions">
        <button
          type="button"
          className="btn btn-small"
          disabled={pause.isPending}
          onClick={() => pause.mutate({ id: folder.settings.id, paused: !paused })}
          data-testid="folder-pause"
        >
          {paused ? "Resume" : "Pause"}
        </button>
        {confirm ? (
          <>
            <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => remove.mutate(folder.settings.id)} data-testid="folder-remove-confirm">
              Remove (files stay on disk)
            </button>
            <button type="button" className="btn btn-small" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-small btn-ghost-danger" onClick={() => setConfirm(true)} data-testid="folder-remove">
            Remove
          </button>
        )}
      </div>
    </li>
  );
}

/** The name a dropped folder suggests: the folder its files came from. */
function droppedName(drop: DropView): string {
  const first = drop.files.find((f) => f.folder !== "");
  return first ? first.folder.split("/")[0] : "";
}

function AddFolderForm({ onDone, drop }: { onDone: () => void; drop: DropView | null }) {
  const [name, setName] = useState(drop ? droppedName(drop) : "");
  const [sourceType, setSourceType] = useState<"local" | "sftp">("local");
  const [path, setPath] = useState("");
  const [connector, setConnector] = useState("");
  const [remoteDir, setRemoteDir] = useState("");
  const [processedDir, setProcessedDir] = useState("processed");
  const [failedDir, setFailedDir] = useState("failed");
  const [partner, setPartner] = useState("");
  const [kind, setKind] = useState<CaseKind>("other");
  const [subfolders, setSubfolders] = useState(false);
  const [polling, setPolling] = useState(false);
  const [settle, setSettle] = useState(2);
  const [pollSeconds, setPollSeconds] = useState(30);
  const connectors = useConnectors();
  const sftpConnectors = (connectors.data ?? []).filter((c) => c.settings.kind === "sftp");
  const save = useSaveFolder({ onSuccess: onDone });
  const fromDrop = useAddFolderFromDrop({ onSuccess: onDone });
  const pending = save.isPending || fromDrop.isPending;
  const error = save.error ?? fromDrop.error;
  const local = drop !== null || sourceType === "local";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (pending) return;
    const input: FolderSettings = {
      id: "",
      name: name.trim(),
      source: local
        ? { type: "local", path: path.trim(), subfolders, polling }
        : { type: "sftp", connector_id: connector, remote_dir: remoteDir.trim(), processed_dir: processedDir.trim(), failed_dir: failedDir.trim() },
      partnerId: partner,
      caseKind: kind,
      owner: null,
      settleSeconds: settle,
      pollSeconds: local ? 30 : pollSeconds,
      paused: false,
    };
    if (drop) fromDrop.mutate({ dropId: drop.id, input });
    else save.mutate(input);
  };
  return (
    <form className="folder-form" onSubmit={submit} data-testid="folder-form" aria-label="Add a folder">
      <label>
        Name
        <input className="input" value={name} onChange={(e) => setName(e.target.value)} data-testid="folder-name" required autoFocus />
      </label>
      {drop ? (
        <p className="small" data-testid="folder-dropped">
          The folder you dropped{droppedName(drop) && <> (<span className="mono">{droppedName(drop)}</span>, {drop.files.length} files in it now)</>} is watched
          where it is; nothing in it is moved or changed.
        </p>
      ) : (
        <label>
          Where
          <select className="select" value={sourceType} onChange={(e) => setSourceType(e.target.value as "local" | "sftp")} data-testid="folder-source">
            <option value="local">A folder on this computer or a network share</option>
            <option value="sftp">A folder on an SFTP server</option>
          </select>
        </label>
      )}
      {!drop && sourceType === "local" && (
        <label>
          Folder (full path)
          <input className="input mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/erp-exports" data-testid="folder-path" required />
        </label>
      )}
      {!local && (
        <>
          {sftpConnectors.length === 0 ? (
            <p className="small" data-testid="folder-no-sftp">
              No SFTP connector yet. Add one in <a href={routeHref({ name: "settings" })}>Settings → Connectors</a>: its host, port and user, the host
              key you compared and accepted, and its password or key, which is kept in the keychain only.
            </p>
          ) : (
            <label>
              SFTP connector
              <select className="select" value={connector} onChange={(e) => setConnector(e.target.value)} data-testid="folder-connector" required>
                <option value="">Choose a connector</option>
                {sftpConnectors.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                    {c.settings.kind === "sftp" && ` (${c.settings.user}@${c.settings.host}:${c.settings.port}${c.settings.host_key ? "" : ", host key not yet accepted"})`}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Remote folder
            <input className="input mono" value={remoteDir} onChange={(e) => setRemoteDir(e.target.value)} placeholder="the connector's folder" data-testid="folder-remote-dir" />
          </label>
          <label>
            Move taken files to (a folder inside it)
            <input className="input mono" value={processedDir} onChange={(e) => setProcessedDir(e.target.value)} data-testid="folder-processed-dir" required />
          </label>
          <label>
            Move files that could not be taken to (with a reason file)
            <input className="input mono" value={failedDir} onChange={(e) => setFailedDir(e.target.value)} data-testid="folder-failed-dir" required />
          </label>
          <label>
            Check every (seconds)
            <input className="input" type="number" min={1} max={86400} value={pollSeconds} onChange={(e) => setPollSeconds(Number(e.target.value))} data-testid="folder-poll" />
          </label>
        </>
      )}
      <label>
        Partner of unmatched files
        <select className="select" value={partner} onChange={(e) => setPartner(e.target.value)} data-testid="folder-partner" required>
          <option value="">Choose a partner</option>
          <PartnerOptions />
        </select>
      </label>
      <label>
        Case kind
        <select className="select" value={kind} onChange={(e) => setKind(e.target.value as CaseKind)} data-testid="folder-kind">
          {(Object.keys(KIND_LABELS) as CaseKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Settle time (seconds)
        <input className="input" type="number" min={0} max={3600} value={settle} onChange={(e) => setSettle(Number(e.target.value))} data-testid="folder-settle" />
      </label>
      {local && (
        <>
          <label className="checkbox">
            <input type="checkbox" checked={subfolders} onChange={(e) => setSubfolders(e.target.checked)} /> Include subfolders
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={polling} onChange={(e) => setPolling(e.target.checked)} /> Scan every 30 s (network shares without change events)
          </label>
        </>
      )}
      {error && (
        <p className="inline-error" role="alert" data-testid="folder-form-error">
          {error.message}
        </p>
      )}
      <div>
        <button type="submit" className="btn btn-primary" disabled={pending} data-testid="folder-save">
          {pending ? <Spinner label="Adding" /> : "Add folder"}
        </button>{" "}
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function LedgerTable({ rows, selected, onSelect }: { rows: LedgerRowView[]; selected: number | null; onSelect: (row: LedgerRowView) => void }) {
  return (
    <table className="ledger-table" data-testid="ledger-table">
      <thead>
        <tr>
          <th>Taken</th>
          <th>Folder</th>
          <th>File</th>
          <th>Outcome</th>
          <th>Case</th>
          <th>Rule</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} data-testid="ledger-row" className={selected === r.id ? "selected" : undefined}>
            <td className="small">{dateTime(r.seenAt)}</td>
            <td>{r.folderName}</td>
            <td className="mono small" title={r.mediaType}>
              <button type="button" className="link-button mono" onClick={() => onSelect(r)} aria-label={`Details of ${r.path}`} data-testid="ledger-file">
                {r.path}
              </button>
            </td>
            <td title={r.detail ?? undefined} data-testid="ledger-outcome-cell">{outcomeWords(r.outcome)}</td>
            <td>
              {r.caseId ? (
                <a href={routeHref({ name: "case", id: r.caseId })} className="mono" data-testid="ledger-case">
                  {r.caseReference ?? r.caseId}
                </a>
              ) : (
                "—"
              )}
            </td>
            <td className="small" title={r.ruleReason ?? undefined} data-testid="ledger-rule">
              {r.ruleLabel ?? r.rule ?? "—"}
              {r.ruleReason && <div className="muted">{r.ruleReason}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The Folders screen. */
export function FoldersScreen() {
  const folders = useFolders();
  const rescan = useRescanFolders();
  const [adding, setAdding] = useState(false);
  const [tab, setTab] = useState<"folders" | "rules">("folders");
  const [drop, setDrop] = useState<DropView | null>(null);
  const [dragging, setDragging] = useState(false);
  useFolderDrops(setDragging, (dropped) => {
    setDrop(dropped);
    setAdding(true);
    setTab("folders");
  });
  const closeForm = () => {
    if (drop) void api.discardDrop(drop.id).catch(() => undefined);
    setDrop(null);
    setAdding(false);
  };
  const [selected, setSelected] = useState<LedgerRowView | null>(null);
  const [query, setQuery] = useState<LedgerQuery>({ folderId: null, outcome: null, since: null, until: null });
  const ledger = useLedger(query);
  const set = (patch: Partial<LedgerQuery>) => setQuery((q) => ({ ...q, ...patch }));
  return (
    <section className="screen screen-scroll" aria-labelledby="folders-heading" data-dragging={dragging}>
      {dragging && (
        <div className="folder-drop-hint" role="status" data-testid="folder-drop-hint">
          Drop a folder here to watch it
        </div>
      )}
      <div className="screen-head">
        <h1 id="folders-heading">Folders</h1>
        <span className="top-bar-spacer" />
        <button type="button" className="btn" onClick={() => rescan.mutate()} disabled={rescan.isPending} data-testid="folders-rescan">
          {rescan.isPending ? <Spinner label="Scanning" /> : "Rescan"}
        </button>
        <button type="button" className="btn btn-primary" onClick={() => { setDrop(null); setAdding(true); setTab("folders"); }} data-testid="folders-add">
          Add folder
        </button>
      </div>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === "folders"} className={`tab${tab === "folders" ? " active" : ""}`} onClick={() => setTab("folders")} data-testid="folders-tab-folders">
          Folders and ledger
        </button>
        <button type="button" role="tab" aria-selected={tab === "rules"} className={`tab${tab === "rules" ? " active" : ""}`} onClick={() => setTab("rules")} data-testid="folders-tab-rules">
          Routing rules
        </button>
      </div>
      {tab === "rules" ? (
        <RulesEditor />
      ) : (
        <>
        {adding && <AddFolderForm key={drop?.id ?? "form"} drop={drop} onDone={closeForm} />}
        {folders.isLoading ? (
          <SkeletonRows rows={3} />
        ) : folders.error ? (
          <ErrorState error={folders.error} onRetry={() => void folders.refetch()} />
        ) : (folders.data ?? []).length === 0 ? (
          <EmptyState title="No drop folders yet" detail="Add a folder: every complete file that lands in it becomes a document on the right case, once." />
        ) : (
          <ul className="outbox-list" data-testid="folder-list">
            {(folders.data ?? []).map((f) => (
              <FolderRow key={f.settings.id} folder={f} />
            ))}
          </ul>
        )}
        <h2>Ledger</h2>
        <div className="ledger-filters" role="group" aria-label="Ledger filters">
          <label>
            Outcome
            <select className="select" value={query.outcome ?? ""} onChange={(e) => set({ outcome: e.target.value || null })} data-testid="ledger-outcome">
              <option value="">Any</option>
              <option value="taken">Taken</option>
              <option value="duplicate">Duplicate</option>
              <option value="failed">Failed</option>
            </select>
          </label>
          <label>
            Folder
            <select className="select" value={query.folderId ?? ""} onChange={(e) => set({ folderId: e.target.value || null })} data-testid="ledger-folder">
              <option value="">Any</option>
              {(folders.data ?? []).map((f) => (
                <option key={f.settings.id} value={f.settings.id}>
                  {f.settings.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input className="input" type="date" value={query.since ?? ""} onChange={(e) => set({ since: e.target.value || null })} />
          </label>
          <label>
            To
            <input className="input" type="date" value={query.until ?? ""} onChange={(e) => set({ until: e.target.value || null })} />
          </label>
        </div>
        {ledger.isLoading ? (
          <SkeletonRows rows={5} />
        ) : ledger.error ? (
          <ErrorState error={ledger.error} onRetry={() => void ledger.refetch()} />
        ) : (ledger.data ?? []).length === 0 ? (
          <EmptyState title="No files yet" detail="Files taken from your folders are listed here with their case and the rule that placed them." />
        ) : (
          <LedgerTable rows={ledger.data ?? []} selected={selected?.id ?? null} onSelect={setSelected} />
        )}
        {selected && <EdiPanel key={selected.id} row={selected} onClose={() => setSelected(null)} />}
        </>
      )}
    </section>
  );
}
