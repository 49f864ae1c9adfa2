// The SLA of one case as this computer computes it: each clock (first response, resolution)
// with its target, time used and due time, whether it is paused (waiting on the partner), and
// a timeline of what happened and what is expected (at risk, breach) if nothing changes.
import type { SlaClock, SlaClockKind, SlaEventKind, SlaView } from "../../bindings";
import { dateTime, relativeTime } from "../../lib/format";

const CLOCK_LABELS: Record<SlaClockKind, string> = {
  first_response: "First response",
  resolution: "Resolution",
};

const EVENT_LABELS: Record<SlaEventKind, string> = {
  started: "Clocks started",
  paused: "Paused: waiting on partner",
  resumed: "Resumed",
  at_risk: "At risk",
  breached: "Breached",
  met: "Met",
};

function hours(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

function Clock({ clock, now }: { clock: SlaClock; now: number }) {
  const share = Math.min(100, Math.round((clock.usedMinutes / Math.max(clock.targetMinutes, 1)) * 100));
  let state: string;
  if (clock.metAt) state = `Met ${relativeTime(clock.metAt, now)}`;
  else if (clock.paused) state = "Paused while waiting on the partner";
  else if (clock.dueAt) state = `${clock.state === "breached" ? "Breached" : "Due"} ${relativeTime(clock.dueAt, now)}`;
  else state = "No due time";
  return (
    <div className={`sla-clock sla-clock-${clock.metAt ? "met" : clock.state}`} data-testid={`sla-clock-${clock.clock}`}>
      <div className="sla-clock-head">
        <span>{CLOCK_LABELS[clock.clock]}</span>
        <span className="muted small" title={clock.dueAt ? dateTime(clock.dueAt) : undefined}>
          {state}
        </span>
      </div>
      <div className="sla-bar" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={share} aria-label={`${CLOCK_LABELS[clock.clock]}: ${share}% of the target used`}>
        <span style={{ width: `${share}%` }} />
      </div>
      <div className="muted small">
        {hours(clock.usedMinutes)} of {hours(clock.targetMinutes)} business time used
      </div>
    </div>
  );
}

/** See the module comment. */
export function SlaPanel({ sla, now }: { sla: SlaView; now: number }) {
  const clocks = [sla.firstResponse, sla.resolution].filter((c): c is SlaClock => c !== null);
  if (clocks.length === 0) return null;
  return (
    <div className="panel" data-testid="sla-panel">
      <h2 className="panel-title">
        SLA {sla.paused && <span className="badge badge-paused">Paused</span>}
      </h2>
      {clocks.map((c) => (
        <Clock key={c.clock} clock={c} now={now} />
      ))}
      <ol className="timeline sla-timeline" data-testid="sla-timeline">
        {sla.timeline.map((e, i) => (
          <li key={`${e.at}-${i}`} className={e.expected ? "expected" : ""} data-kind={e.kind}>
            <span className="timeline-dot" aria-hidden="true" />
            <span>
              {EVENT_LABELS[e.kind]}
              {e.clock && e.kind !== "paused" && e.kind !== "resumed" ? ` (${CLOCK_LABELS[e.clock].toLowerCase()})` : ""}
              <span className="muted small" title={dateTime(e.at)}>
                {" "}
                {e.expected ? "expected " : ""}
                {relativeTime(e.at, now)}
              </span>
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
