// Settings → Desktop: who "me" is, which OS notifications come (per kind), quiet hours, pause,
// close-to-tray, the theme, the SLA policy (business hours with a time zone, holidays, targets
// per priority, the at-risk share) and the escalation rules. Saved together; the Rust side
// checks the whole and refuses in words (an unknown time zone, a rule without actions).
import { useEffect, useState } from "react";
import type {
  DeskSettings,
  EscalationAction,
  EscalationRule,
  EscalationTrigger,
  NotificationKind,
  Priority,
  SlaTarget,
  Weekday,
} from "../../bindings";
import { ErrorBanner, QueryView } from "../../components/form";
import { PRIORITIES, PRIORITY_LABELS } from "../../lib/format";
import { UserOptions } from "../partners/UserOptions";
import { useDeskSettings, useSaveDeskSettings } from "./hooks";
import { chooseTheme, currentTheme, type Theme } from "./theme";

const KIND_LABELS: Record<NotificationKind, string> = {
  sla_at_risk: "SLA at risk on my cases",
  sla_breached: "SLA breached on my cases",
  new_exception: "New exception for my partners",
  partner_reply: "A partner's reply on my case",
  failed_action: "A refused change or a failed transfer",
  batch_finished: "Transfers and drop folders finished",
};
const KINDS = Object.keys(KIND_LABELS) as NotificationKind[];

const WEEKDAYS: { day: Weekday; label: string }[] = [
  { day: "monday", label: "Mon" },
  { day: "tuesday", label: "Tue" },
  { day: "wednesday", label: "Wed" },
  { day: "thursday", label: "Thu" },
  { day: "friday", label: "Fri" },
  { day: "saturday", label: "Sat" },
  { day: "sunday", label: "Sun" },
];

/** "09:30" -> 570; null when not a time. */
export function minutesOf(text: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return null;
  return h * 60 + min;
}

/** 570 -> "09:30". */
export function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function TimeInput({ value, onChange, label, testId }: { value: number; onChange: (m: number) => void; label: string; testId: string }) {
  const [text, setText] = useState(timeOf(value));
  useEffect(() => setText(timeOf(value)), [value]);
  const bad = minutesOf(text) === null;
  return (
    <input
      className="input"
      style={{ width: 70 }}
      value={text}
      aria-label={label}
      aria-invalid={bad}
      data-testid={testId}
      onChange={(e) => {
        setText(e.target.value);
        const m = minutesOf(e.target.value);
        if (m !== null) onChange(m);
      }}
    />
  );
}

function ActionEditor({ action, onChange, onRemove }: { action: EscalationAction; onChange: (a: EscalationAction) => void; onRemove: () => void }) {
  let body;
  switch (action.type) {
    case "raise_priority":
      body = (
        <select className="select" value={action.to ?? ""} onChange={(e) => onChange({ type: "raise_priority", to: (e.target.value || null) as Priority | null })} aria-label="Raise priority to">
          <option value="">One step up</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              To {PRIORITY_LABELS[p]}
            </option>
          ))}
        </select>
      );
      break;
    case "reassign":
      body =
        action.to.type === "person" ? (
          <select className="select" value={action.to.login_id} onChange={(e) => onChange({ type: "reassign", to: { type: "person", login_id: e.target.value } })} aria-label="Reassign to">
            <option value="">Choose…</option>
            <UserOptions />
          </select>
        ) : (
          <>
            <input className="input" value={action.to.name} aria-label="Tier name" onChange={(e) => action.to.type === "tier" && onChange({ type: "reassign", to: { ...action.to, name: e.target.value } })} />
            <input
              className="input"
              value={action.to.members.join(", ")}
              aria-label="Tier members (login ids)"
              placeholder="login ids, comma separated"
              onChange={(e) =>
                action.to.type === "tier" &&
                onChange({ type: "reassign", to: { ...action.to, members: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) } })
              }
            />
          </>
        );
      break;
    case "internal_note":
      body = <input className="input" value={action.text} aria-label="Note" onChange={(e) => onChange({ type: "internal_note", text: e.target.value })} />;
      break;
    case "notify":
      body = <span className="muted">Notify me</span>;
      break;
    case "emit_event":
      body = <span className="muted">To every xConnector with outbound events on</span>;
      break;
  }
  const label = { raise_priority: "Raise priority", reassign: action.type === "reassign" && action.to.type === "tier" ? "Reassign to a tier" : "Reassign to a person", internal_note: "Internal note", notify: "Notify", emit_event: "Send an xConnector event" }[action.type];
  return (
    <div className="rule-head">
      <strong>{label}</strong>
      {body}
      <button type="button" className="btn btn-small btn-ghost" onClick={onRemove} aria-label={`Remove ${label}`}>
        Remove
      </button>
    </div>
  );
}

const NEW_ACTIONS: { label: string; make: () => EscalationAction }[] = [
  { label: "Raise priority", make: () => ({ type: "raise_priority", to: null }) },
  { label: "Reassign to a person", make: () => ({ type: "reassign", to: { type: "person", login_id: "" } }) },
  { label: "Reassign to a tier", make: () => ({ type: "reassign", to: { type: "tier", name: "Tier 2", members: [] } }) },
  { label: "Internal note", make: () => ({ type: "internal_note", text: "SLA breached: escalated." }) },
  { label: "Notify", make: () => ({ type: "notify" }) },
  { label: "Send an xConnector event", make: () => ({ type: "emit_event" }) },
];

function RuleEditor({ rule, onChange, onRemove }: { rule: EscalationRule; onChange: (r: EscalationRule) => void; onRemove: () => void }) {
  return (
    <div className="rule" data-testid="escalation-rule">
      <div className="rule-head">
        <label className="field-inline">
          <input type="checkbox" checked={rule.enabled} onChange={(e) => onChange({ ...rule, enabled: e.target.checked })} /> On
        </label>
        <input className="input" value={rule.name} aria-label="Rule name" onChange={(e) => onChange({ ...rule, name: e.target.value })} />
        <select className="select" value={rule.trigger} aria-label="When" onChange={(e) => onChange({ ...rule, trigger: e.target.value as EscalationTrigger })}>
          <option value="at_risk">When at risk</option>
          <option value="breached">When breached</option>
        </select>
        <button type="button" className="btn btn-small btn-ghost" onClick={onRemove}>
          Delete rule
        </button>
      </div>
      {rule.actions.map((a, i) => (
        <ActionEditor
          key={i}
          action={a}
          onChange={(next) => onChange({ ...rule, actions: rule.actions.map((x, j) => (j === i ? next : x)) })}
          onRemove={() => onChange({ ...rule, actions: rule.actions.filter((_, j) => j !== i) })}
        />
      ))}
      <div className="rule-head">
        <span className="muted small">Add:</span>
        {NEW_ACTIONS.map((n) => (
          <button key={n.label} type="button" className="btn btn-small" onClick={() => onChange({ ...rule, actions: [...rule.actions, n.make()] })}>
            {n.label}
          </button>
        ))}
      </div>
    </div>
  );
}

function DeskForm({ saved }: { saved: DeskSettings }) {
  const [draft, setDraft] = useState(saved);
  const [theme, setTheme] = useState<Theme>(currentTheme());
  const save = useSaveDeskSettings({ onSuccess: (next) => setDraft(next) });
  useEffect(() => setDraft(saved), [saved]);
  const set = (patch: Partial<DeskSettings>) => setDraft({ ...draft, ...patch });
  const n = draft.notifications;
  const cal = draft.sla.calendar;
  const setCal = (patch: Partial<typeof cal>) => set({ sla: { ...draft.sla, calendar: { ...cal, ...patch } } });
  const target = (p: Priority): SlaTarget | undefined => draft.sla.targets.find((t) => t.kind === null && t.priority === p);
  const setTarget = (p: Priority, patch: Partial<SlaTarget>) => {
    const old = target(p) ?? { kind: null, priority: p, firstResponseMinutes: 240, resolutionMinutes: 2400 };
    const others = draft.sla.targets.filter((t) => !(t.kind === null && t.priority === p));
    set({ sla: { ...draft.sla, targets: [...others, { ...old, ...patch }] } });
  };
  const dirty = JSON.stringify(draft) !== JSON.stringify(saved);
  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(draft);
      }}
    >
      <h3>You</h3>
      <label className="field-inline">
        <span>I am</span>
        <select className="select" value={draft.me ?? ""} onChange={(e) => set({ me: e.target.value || null })} data-testid="desk-me">
          <option value="">Not chosen</option>
          <UserOptions />
        </select>
      </label>
      <h3>Notifications</h3>
      <div className="desk-grid">
        {KINDS.map((kind) => (
          <label key={kind} className="field-inline">
            <input
              type="checkbox"
              checked={!n.off.includes(kind)}
              data-testid={`notify-${kind}`}
              onChange={(e) => set({ notifications: { ...n, off: e.target.checked ? n.off.filter((k) => k !== kind) : [...n.off, kind] } })}
            />
            {KIND_LABELS[kind]}
          </label>
        ))}
      </div>
      <label className="field-inline">
        <input
          type="checkbox"
          checked={n.quietHours !== null}
          data-testid="quiet-hours"
          onChange={(e) => set({ notifications: { ...n, quietHours: e.target.checked ? { startMinute: 22 * 60, endMinute: 7 * 60 } : null } })}
        />
        Quiet hours
        {n.quietHours && (
          <>
            <span>from</span>
            <TimeInput value={n.quietHours.startMinute} label="Quiet from" testId="quiet-from" onChange={(m) => n.quietHours && set({ notifications: { ...n, quietHours: { ...n.quietHours, startMinute: m % 1440 } } })} />
            <span>to</span>
            <TimeInput value={n.quietHours.endMinute} label="Quiet until" testId="quiet-to" onChange={(m) => n.quietHours && set({ notifications: { ...n, quietHours: { ...n.quietHours, endMinute: m % 1440 } } })} />
          </>
        )}
      </label>
      <label className="field-inline">
        <input type="checkbox" checked={n.paused} onChange={(e) => set({ notifications: { ...n, paused: e.target.checked } })} data-testid="notify-paused" />
        Pause all notifications
      </label>
      <h3>Window</h3>
      <label className="field-inline">
        <input type="checkbox" checked={draft.closeToTray} onChange={(e) => set({ closeToTray: e.target.checked })} data-testid="close-to-tray" />
        Closing the window keeps PartnerDesk syncing in the tray
      </label>
      <label className="field-inline">
        <span>Theme</span>
        <select
          className="select"
          value={theme}
          data-testid="theme"
          onChange={(e) => {
            const next = e.target.value as Theme;
            setTheme(next);
            chooseTheme(next);
          }}
        >
          <option value="system">Follow the system</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </label>
      <h3>SLA policy</h3>
      <label className="field-inline">
        <input type="checkbox" checked={draft.sla.enabled} onChange={(e) => set({ sla: { ...draft.sla, enabled: e.target.checked } })} />
        Compute SLAs here from business hours (off: the server's due dates)
      </label>
      <label className="field-inline">
        <span>Time zone</span>
        <input className="input" value={cal.timeZone} onChange={(e) => setCal({ timeZone: e.target.value })} data-testid="sla-zone" placeholder="Europe/Berlin" />
        <span>At risk after</span>
        <input
          className="input"
          style={{ width: 60 }}
          inputMode="numeric"
          value={draft.sla.atRiskPercent}
          onChange={(e) => set({ sla: { ...draft.sla, atRiskPercent: Number(e.target.value.replace(/\D/g, "")) || 0 } })}
          aria-label="At risk after (percent of the target)"
        />
        <span>% of the time</span>
      </label>
      <div className="desk-grid">
        {WEEKDAYS.map(({ day, label }) => {
          const d = cal.days.find((x) => x.weekday === day);
          return (
            <label key={day} className="field-inline">
              <input
                type="checkbox"
                checked={!!d}
                onChange={(e) =>
                  setCal({ days: e.target.checked ? [...cal.days, { weekday: day, startMinute: 540, endMinute: 1020 }] : cal.days.filter((x) => x.weekday !== day) })
                }
              />
              <span style={{ width: 32 }}>{label}</span>
              {d && (
                <>
                  <TimeInput value={d.startMinute} label={`${label} from`} testId={`hours-${day}-from`} onChange={(m) => setCal({ days: cal.days.map((x) => (x.weekday === day ? { ...x, startMinute: m } : x)) })} />
                  <TimeInput value={d.endMinute} label={`${label} until`} testId={`hours-${day}-to`} onChange={(m) => setCal({ days: cal.days.map((x) => (x.weekday === day ? { ...x, endMinute: m } : x)) })} />
                </>
              )}
            </label>
          );
        })}
      </div>
      <label className="field-inline">
        <span>Holidays</span>
        <input
          className="input"
          style={{ minWidth: 320 }}
          value={cal.holidays.join(", ")}
          placeholder="2026-12-25, 2027-01-01"
          onChange={(e) => setCal({ holidays: e.target.value.split(",").map((s) => s.trim()).filter((s) => /^\d{4}-\d{2}-\d{2}$/.test(s)) })}
          data-testid="sla-holidays"
        />
      </label>
      <table className="targets">
        <thead>
          <tr>
            <th>Priority</th>
            <th>First response (hours)</th>
            <th>Resolution (business hours)</th>
          </tr>
        </thead>
        <tbody>
          {PRIORITIES.map((p) => {
            const t = target(p);
            return (
              <tr key={p}>
                <td>{PRIORITY_LABELS[p]}</td>
                <td>
                  <input className="input" inputMode="numeric" value={t ? t.firstResponseMinutes / 60 : ""} aria-label={`${PRIORITY_LABELS[p]} first response hours`} onChange={(e) => setTarget(p, { firstResponseMinutes: Math.round(Number(e.target.value) * 60) || 0 })} />
                </td>
                <td>
                  <input className="input" inputMode="numeric" value={t ? t.resolutionMinutes / 60 : ""} aria-label={`${PRIORITY_LABELS[p]} resolution hours`} onChange={(e) => setTarget(p, { resolutionMinutes: Math.round(Number(e.target.value) * 60) || 0 })} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>Escalation rules</h3>
      <p className="muted small">Evaluated for your own cases; each rule acts once per breach, and the case's activity names the rule.</p>
      {draft.escalationRules.map((rule, i) => (
        <RuleEditor
          key={rule.id}
          rule={rule}
          onChange={(next) => set({ escalationRules: draft.escalationRules.map((r, j) => (j === i ? next : r)) })}
          onRemove={() => set({ escalationRules: draft.escalationRules.filter((_, j) => j !== i) })}
        />
      ))}
      <div>
        <button
          type="button"
          className="btn"
          data-testid="add-rule"
          onClick={() =>
            set({
              escalationRules: [
                ...draft.escalationRules,
                { id: `rule-${Date.now().toString(36)}`, name: "Breached: raise priority", enabled: true, trigger: "breached", kinds: [], priorities: [], actions: [{ type: "raise_priority", to: null }, { type: "notify" }] },
              ],
            })
          }
        >
          Add a rule
        </button>
      </div>
      <ErrorBanner error={save.error} />
      <div className="rule-head">
        <button type="submit" className="btn btn-primary" disabled={!dirty || save.isPending} data-testid="desk-save">
          {save.isPending ? "Saving…" : "Save desktop settings"}
        </button>
        {save.isSuccess && !dirty && <span className="muted small" role="status">Saved.</span>}
      </div>
    </form>
  );
}

/** See the module comment. */
export function DeskSection() {
  const desk = useDeskSettings();
  return (
    <section className="settings-section" aria-labelledby="desk-heading" data-testid="desk-section">
      <div className="settings-section-head">
        <div>
          <h2 id="desk-heading">Desktop</h2>
          <p className="muted small">Notifications, the tray, SLA policy and escalations on this computer.</p>
        </div>
      </div>
      <QueryView query={desk} skeletonRows={4} errorTitle="Could not read the desktop settings">
        {(saved) => <DeskForm saved={saved} />}
      </QueryView>
    </section>
  );
}
