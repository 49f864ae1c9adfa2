// The command palette (Ctrl/Cmd+K): jump to any case by reference, title or partner (the case
// search), to a recent case, to any screen; run any action on the case in view (status,
// priority, owner, comment, attach) and every app action, each listed with its shortcut. Also
// owns the `g <key>` shortcuts the palette lists, so the two never disagree.
import { useEffect, useMemo, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Visibility } from "../../bindings";
import { api } from "../../lib/ipc";
import { navigate, type Route } from "../../lib/router";
import { useDebounced } from "../../lib/useDebounced";
import { invalidateTopics } from "../../app/changes";
import { useCase } from "../cases/hooks";
import { useUsers } from "../partners/hooks";
import { Spinner } from "../../components/bits";
import { InertText, visibleText } from "../../components/InertText";
import {
  APP_ACTIONS,
  GO_KEYS,
  PALETTE_SHORTCUT,
  caseActions,
  caseSearch,
  matches,
  recentCases,
  type PaletteEntry,
  type PaletteRun,
} from "./palette";
import { useDeskSettings, usePauseNotifications } from "./hooks";
import { useAttachFiles } from "../documents/hooks";
import { chooseTheme } from "./theme";


/** Presses a screen's own shortcut once the screen is there (new case, search). */
function pressLater(key: string) {
  window.setTimeout(() => document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true })), 80);
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable);
}

type Mode = { type: "search" } | { type: "comment"; visibility: Visibility };

function PaletteDialog({ route, onClose, onAttach }: { route: Route; onClose: () => void; onAttach: () => void }) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const [mode, setMode] = useState<Mode>({ type: "search" });
  const [active, setActive] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const caseId = route.name === "case" ? route.id : null;
  const current = useCase(caseId ?? "", { enabled: caseId !== null });
  const users = useUsers();
  const desk = useDeskSettings();
  const pause = usePauseNotifications();
  const search = useDebounced(text.trim(), 150);
  const hits = useQuery({
    queryKey: ["cases", "palette", search],
    queryFn: () => api.listCases(caseSearch(search)),
    enabled: mode.type === "search" && search.length > 0,
  });

  useEffect(() => {
    input.current?.focus();
  }, [mode]);

  const entries = useMemo(() => {
    if (mode.type !== "search") return [];
    const out: PaletteEntry[] = [];
    const c = caseId && current.data ? current.data.case : null;
    if (c) out.push(...caseActions({ status: c.status, priority: c.priority, owner: c.owner }, users.data ?? []).filter((e) => matches(e, text)));
    if (text.trim() === "") {
      for (const r of recentCases()) {
        if (r.id === caseId) continue;
        out.push({ id: `recent-${r.id}`, group: "Recent cases", label: `${r.reference} ${visibleText(r.title)}`, run: { type: "go", route: { name: "case", id: r.id } } });
      }
    } else {
      for (const row of hits.data?.rows ?? []) {
        out.push({
          id: `case-${row.id}`,
          group: "Cases",
          label: `${row.reference} ${visibleText(row.title)}`,
          detail: visibleText(row.partnerName),
          run: { type: "go", route: { name: "case", id: row.id } },
        });
      }
    }
    out.push(...APP_ACTIONS.filter((e) => matches(e, text)));
    return out;
  }, [mode, caseId, current.data, users.data, text, hits.data]);

  useEffect(() => setActive(0), [text, mode]);

  const finish = () => {
    onClose();
  };

  const run = async (what: PaletteRun) => {
    setError(null);
    try {
      switch (what.type) {
        case "go":
          navigate(what.route);
          return finish();
        case "sync":
          finish();
          await api.syncNow();
          await invalidateTopics(client, ["sync", "cases", "outbox"]);
          return;
        case "new_case":
          navigate({ name: "cases" });
          pressLater("n");
          return finish();
        case "search":
          navigate({ name: "cases" });
          pressLater("/");
          return finish();
        case "theme":
          chooseTheme(what.theme);
          return finish();
        case "pause_notifications":
          pause.mutate(!(desk.data?.notifications.paused ?? false));
          return finish();
        case "comment":
          setMode({ type: "comment", visibility: "partner" });
          setText("");
          return;
        case "attach":
          // The file picker, then the same confirmation strip as files dropped on the case
          // (the documents panel shows it).
          finish();
          onAttach();
          window.setTimeout(() => document.getElementById("case-documents")?.scrollIntoView({ block: "start" }), 50);
          return;
      }
      if (!caseId) return;
      setBusy(true);
      const patch =
        what.type === "status" ? { status: what.status } : what.type === "priority" ? { priority: what.priority } : { owner: what.loginId };
      const next = await api.updateCase(caseId, patch);
      client.setQueryData(["cases", "detail", caseId], next);
      await invalidateTopics(client, ["cases", "outbox"]);
      finish();
    } catch (e) {
      setError(e instanceof Error ? e.message : "That did not work.");
    } finally {
      setBusy(false);
    }
  };

  const sendComment = async () => {
    if (mode.type !== "comment" || !caseId || !text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.addComment(caseId, text.trim(), mode.visibility);
      await invalidateTopics(client, ["cases", "outbox"]);
      finish();
    } catch (e) {
      setError(e instanceof Error ? e.message : "The comment was not added.");
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      if (mode.type === "comment") setMode({ type: "search" });
      else onClose();
      return;
    }
    if (mode.type === "comment") {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        void sendComment();
      } else if (e.key === "Tab") {
        e.preventDefault();
        setMode({ type: "comment", visibility: mode.visibility === "partner" ? "internal" : "partner" });
      }
      return;
    }
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, entries.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const chosen = entries[active];
      if (chosen) void run(chosen.run);
    }
  };

  let lastGroup = "";
  return (
    <div className="dialog-backdrop palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" data-testid="palette" onKeyDown={onKeyDown}>
        {mode.type === "search" ? (
          <input
            ref={input}
            className="palette-input"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={caseId ? "Search cases, or run an action on this case…" : "Search cases by reference, title or partner, or run an action…"}
            aria-label="Command"
            aria-controls="palette-list"
            aria-activedescendant={entries[active] ? `palette-${entries[active].id}` : undefined}
            data-testid="palette-input"
          />
        ) : (
          <div className="palette-comment">
            <div className="palette-comment-head">
              {mode.visibility === "partner" ? "Reply to partner" : "Internal note"} on{" "}
              {current.data?.case.reference ?? "this case"} <span className="muted">· Tab switches · Enter sends · Esc back</span>
            </div>
            <textarea
              ref={input}
              className="palette-input"
              rows={3}
              value={text}
              onChange={(e) => setText(e.target.value)}
              aria-label={mode.visibility === "partner" ? "Reply to partner" : "Internal note"}
              data-testid="palette-comment"
            />
          </div>
        )}
        {error && (
          <p className="palette-error" role="alert" data-testid="palette-error">
            {error}
          </p>
        )}
        {mode.type === "search" && (
          <ul className="palette-list" id="palette-list" role="listbox" data-testid="palette-list">
            {hits.isFetching && text.trim() && (
              <li className="palette-status">
                <Spinner label="Searching" /> Searching cases…
              </li>
            )}
            {entries.length === 0 && !hits.isFetching && <li className="palette-status muted">Nothing matches “{text}”.</li>}
            {entries.map((entry, i) => {
              const head = entry.group !== lastGroup ? entry.group : null;
              lastGroup = entry.group;
              return (
                <li key={entry.id} role="presentation">
                  {head && <div className="palette-group">{head}</div>}
                  <div
                    id={`palette-${entry.id}`}
                    role="option"
                    aria-selected={i === active}
                    className={`palette-item${i === active ? " active" : ""}`}
                    data-testid="palette-item"
                    data-entry={entry.id}
                    onMouseMove={() => setActive(i)}
                    onClick={() => void run(entry.run)}
                  >
                    <span className="palette-label">
                      <InertText text={entry.label} />
                    </span>
                    {entry.detail && <span className="palette-detail muted">{entry.detail}</span>}
                    {entry.shortcut && (
                      <span className="palette-keys">
                        {entry.shortcut.split(" ").map((k) => (
                          <kbd key={k}>{k}</kbd>
                        ))}
                      </span>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
        <footer className="palette-foot muted">
          {busy ? <Spinner label="Working" /> : null} ↑↓ choose · Enter run · Esc close · {PALETTE_SHORTCUT} toggles
        </footer>
      </div>
    </div>
  );
}

/** The palette and the global shortcuts it lists; mount once inside the app frame. */
export function CommandPalette({ route }: { route: Route }) {
  const [open, setOpen] = useState(false);
  const client = useQueryClient();
  // Kept here, not in the dialog: the picker outlives the palette, which closes when it opens.
  const attach = useAttachFiles(route.name === "case" ? route.id : null);
  useEffect(() => {
    let pendingG = false;
    let timer = 0;
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setOpen((o) => !o);
        return;
      }
      if (open || isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("[aria-modal='true']")) return;
      if (pendingG) {
        pendingG = false;
        window.clearTimeout(timer);
        const run = GO_KEYS[event.key];
        if (!run) return;
        event.preventDefault();
        if (run.type === "go") navigate(run.route);
        else if (run.type === "sync") void api.syncNow().then(() => invalidateTopics(client, ["sync", "cases", "outbox"]));
        return;
      }
      if (event.key === "g") {
        pendingG = true;
        timer = window.setTimeout(() => (pendingG = false), 1200);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.clearTimeout(timer);
    };
  }, [open, client]);
  return (
    <>
      {open && <PaletteDialog route={route} onClose={() => setOpen(false)} onAttach={attach.start} />}
      {attach.error && !open && (
        <div className="palette-toast" role="alert" data-testid="palette-attach-error">
          {attach.error}
        </div>
      )}
    </>
  );
}
