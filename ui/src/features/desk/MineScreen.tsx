// "Mine": the analyst's own open cases, the most urgent SLA first (breached, at risk, on track,
// then by due time, as the Rust side computes the clocks), under a strip of the counts that
// matter: breached, at risk, waiting on us, failed actions. Until "me" is chosen it asks who
// the analyst is among the colleagues.
import { useEffect, useState } from "react";
import type { CaseRow, MyWorkCounts } from "../../bindings";
import { KIND_LABELS, relativeTime } from "../../lib/format";
import { navigate, routeHref } from "../../lib/router";
import { useNow } from "../../lib/useDebounced";
import { EmptyState, ErrorState, PausedMark, PriorityMark, SkeletonRows, SlaMark, StatusPill } from "../../components/bits";
import { InertText } from "../../components/InertText";
import { ErrorBanner } from "../../components/form";
import { UserOptions } from "../partners/UserOptions";
import { useDeskSettings, useMyCases, useMyWorkCounts, useSaveDeskSettings } from "./hooks";

function Tile({
  label,
  value,
  tone,
  href,
  testId,
}: {
  label: string;
  value: number | undefined;
  tone: "breached" | "at-risk" | "ours" | "failed";
  href?: string;
  testId: string;
}) {
  const body = (
    <>
      <span className="tile-value">{value ?? "–"}</span>
      <span className="tile-label">{label}</span>
    </>
  );
  const className = `tile tile-${tone}${value ? " tile-on" : ""}`;
  return href ? (
    <a className={className} href={href} data-testid={testId}>
      {body}
    </a>
  ) : (
    <div className={className} data-testid={testId}>
      {body}
    </div>
  );
}

/** The counts strip (also shown above the Mine list). */
export function DashboardStrip({ counts }: { counts: MyWorkCounts | undefined }) {
  return (
    <div className="dashboard-strip" role="group" aria-label="My work" data-testid="dashboard-strip">
      <Tile label="Breached" value={counts?.breached} tone="breached" testId="tile-breached" />
      <Tile label="At risk" value={counts?.atRisk} tone="at-risk" testId="tile-at-risk" />
      <Tile label="Waiting on us" value={counts?.waitingOnUs} tone="ours" testId="tile-waiting" />
      <Tile
        label="Failed actions"
        value={counts?.failedActions}
        tone="failed"
        href={routeHref({ name: "outbox" })}
        testId="tile-failed"
      />
    </div>
  );
}

function WhoAmI() {
  const desk = useDeskSettings();
  const save = useSaveDeskSettings();
  const [me, setMe] = useState("");
  return (
    <form
      className="who-am-i"
      onSubmit={(e) => {
        e.preventDefault();
        if (desk.data && me) save.mutate({ ...desk.data, me });
      }}
    >
      <p>
        Choose who you are among your colleagues: "Mine" shows the cases you own, and SLA
        notifications and escalations follow them.
      </p>
      <label className="field-inline">
        <span>I am</span>
        <select className="select" value={me} onChange={(e) => setMe(e.target.value)} data-testid="me-select">
          <option value="">Choose…</option>
          <UserOptions />
        </select>
      </label>
      <button type="submit" className="btn btn-primary" disabled={!me || save.isPending} data-testid="me-save">
        Show my cases
      </button>
      <ErrorBanner error={save.error} />
    </form>
  );
}

function MineRow({ row, now, selected }: { row: CaseRow; now: number; selected: boolean }) {
  return (
    <a
      className={`mine-row${selected ? " selected" : ""}`}
      href={routeHref({ name: "case", id: row.id })}
      data-testid="mine-row"
      data-sla={row.slaState}
      aria-current={selected ? "true" : undefined}
    >
      <span className="mono">{row.reference}</span>
      <span className="truncate mine-title">
        <InertText text={row.title} />
      </span>
      <span className="truncate muted">
        <InertText text={row.partnerName} />
      </span>
      <span className="muted">{KIND_LABELS[row.kind]}</span>
      <StatusPill status={row.status} />
      <PriorityMark priority={row.priority} />
      <span>
        {row.slaPaused ? (
          <PausedMark state={row.slaState} />
        ) : (
          <SlaMark due={row.slaDue} state={row.slaState} now={now} />
        )}
      </span>
      <span className="muted">{relativeTime(row.updatedAt, now)}</span>
    </a>
  );
}

/** See the module comment. */
export function MineScreen() {
  const now = useNow(30_000);
  const desk = useDeskSettings();
  const cases = useMyCases();
  const counts = useMyWorkCounts();
  const [selected, setSelected] = useState(0);
  const rows = cases.data ?? [];

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
      if (document.querySelector("[aria-modal='true']")) return;
      if (event.key === "j" || event.key === "ArrowDown") {
        setSelected((s) => Math.min(s + 1, Math.max(rows.length - 1, 0)));
      } else if (event.key === "k" || event.key === "ArrowUp") {
        setSelected((s) => Math.max(s - 1, 0));
      } else if (event.key === "Enter" && rows[selected]) {
        navigate({ name: "case", id: rows[selected].id });
      } else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rows, selected]);

  let body;
  if (desk.isPending || cases.isPending) body = <SkeletonRows rows={6} />;
  else if (desk.isError) body = <ErrorState error={desk.error} onRetry={() => void desk.refetch()} />;
  else if (!desk.data.me) body = <WhoAmI />;
  else if (cases.isError) body = <ErrorState error={cases.error} onRetry={() => void cases.refetch()} />;
  else if (rows.length === 0)
    body = <EmptyState title="Nothing open is yours" detail="Cases you own show here, the most urgent SLA first." />;
  else
    body = (
      <div className="mine-list" role="list" aria-label="My open cases" data-testid="mine-list">
        {rows.map((row, i) => (
          <MineRow key={row.id} row={row} now={now} selected={i === selected} />
        ))}
      </div>
    );
  return (
    <section className="screen screen-scroll" data-testid="mine-screen">
      <header className="screen-header">
        <h1>Mine</h1>
        <span className="muted">
          {desk.data?.me ? `Open cases owned by ${desk.data.me}, the most urgent SLA first` : ""}
        </span>
      </header>
      <DashboardStrip counts={counts.data} />
      {body}
    </section>
  );
}
