// A case's ties to the outside systems: where it came from (with its address), its partner notice
// on the Wix site and its knowledge article on the Drupal site. "Publish notice" and "Promote to
// article" open a preview the analyst edits before anything goes out; each shows its state
// (draft, published, updated, withdrawn) and whether a write is still queued or was refused.
import { useState, type ReactNode } from "react";
import type { ArticleText, CaseOrigin, NoticeText, PublicationState, PublicationView } from "../../bindings";
import { relativeTime } from "../../lib/format";
import { useCaseOutside, usePromoteArticle, usePublishNotice } from "./hooks";

const STATE: Record<PublicationState, { label: string; className: string }> = {
  draft: { label: "Draft", className: "health-unknown" },
  published: { label: "Published", className: "health-ok" },
  updated: { label: "Updated", className: "health-ok" },
  withdrawn: { label: "Withdrawn", className: "health-unknown" },
};

function StatePill({ view }: { view: PublicationView | undefined }) {
  const state = STATE[view?.state ?? "draft"];
  return (
    <span className={`health ${state.className}`} data-testid="publication-state" data-state={view?.state ?? "draft"}>
      {state.label}
      {view && view.queued > 0 && !view.lastError ? " · sending" : ""}
    </span>
  );
}

function Origin({ origin }: { origin: CaseOrigin }) {
  const [copied, setCopied] = useState(false);
  return (
    <li className="small" data-testid="case-origin">
      <span>{origin.label}</span>
      {origin.link && (
        <>
          {" · "}
          <span className="mono truncate" title={origin.link} data-testid="case-origin-link">
            {origin.link}
          </span>{" "}
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => {
              void navigator.clipboard?.writeText(origin.link ?? "").then(() => setCopied(true));
            }}
          >
            {copied ? "Copied" : "Copy link"}
          </button>
        </>
      )}
    </li>
  );
}

function Field({
  id,
  label,
  value,
  onChange,
  rows,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  rows?: number;
}) {
  return (
    <label className="outside-field" htmlFor={id}>
      <span className="small muted">{label}</span>
      {rows ? (
        <textarea id={id} className="input" rows={rows} value={value} onChange={(e) => onChange(e.target.value)} data-testid={id} />
      ) : (
        <input id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} data-testid={id} />
      )}
    </label>
  );
}

function NoticeEditor({ caseId, draft, onDone }: { caseId: string; draft: NoticeText; onDone: () => void }) {
  const [text, setText] = useState<NoticeText>(draft);
  const publish = usePublishNotice(caseId);
  const set = (field: keyof NoticeText) => (v: string) => setText({ ...text, [field]: v });
  const incomplete = [text.title, text.affected, text.nextSteps, text.expectedResolution].some((v) => v.trim() === "");
  return (
    <form
      className="outside-editor"
      data-testid="notice-editor"
      onSubmit={(e) => {
        e.preventDefault();
        publish.mutate(text, { onSuccess: onDone });
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onDone();
      }}
    >
      <Field id="notice-title" label="Headline" value={text.title} onChange={set("title")} />
      <Field id="notice-affected" label="What is affected" value={text.affected} onChange={set("affected")} rows={2} />
      <Field id="notice-next-steps" label="Next steps" value={text.nextSteps} onChange={set("nextSteps")} rows={3} />
      <Field id="notice-expected" label="Expected resolution" value={text.expectedResolution} onChange={set("expectedResolution")} />
      <div className="outside-preview" data-testid="notice-preview" aria-label="Preview">
        <strong>{text.title}</strong>
        <p>{text.affected}</p>
        <p>
          <em>Next steps:</em> {text.nextSteps}
        </p>
        <p className="muted small">Expected resolution: {text.expectedResolution}</p>
      </div>
      {publish.error && (
        <p className="inline-banner-error" role="alert">
          {publish.error.message}
        </p>
      )}
      <div className="outside-actions">
        <button type="button" className="btn btn-small" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-small btn-primary" disabled={incomplete || publish.isPending} data-testid="notice-send">
          {publish.isPending ? "Publishing…" : "Publish to the site"}
        </button>
      </div>
    </form>
  );
}

function ArticleEditor({ caseId, draft, onDone }: { caseId: string; draft: ArticleText; onDone: () => void }) {
  const [text, setText] = useState<ArticleText>(draft);
  const promote = usePromoteArticle(caseId);
  const incomplete = text.title.trim() === "" || text.body.trim() === "";
  return (
    <form
      className="outside-editor"
      data-testid="article-editor"
      onSubmit={(e) => {
        e.preventDefault();
        promote.mutate(text, { onSuccess: onDone });
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onDone();
      }}
    >
      <Field id="article-title" label="Title" value={text.title} onChange={(v) => setText({ ...text, title: v })} />
      <Field id="article-body" label="Body" value={text.body} onChange={(v) => setText({ ...text, body: v })} rows={6} />
      <Field
        id="article-tags"
        label="Tags (comma separated)"
        value={text.tags.join(", ")}
        onChange={(v) => setText({ ...text, tags: v.split(",").map((t) => t.trim()).filter((t) => t !== "") })}
      />
      {promote.error && (
        <p className="inline-banner-error" role="alert">
          {promote.error.message}
        </p>
      )}
      <div className="outside-actions">
        <button type="button" className="btn btn-small" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-small btn-primary" disabled={incomplete || promote.isPending} data-testid="article-send">
          {promote.isPending ? "Promoting…" : "Promote to the knowledge base"}
        </button>
      </div>
    </form>
  );
}

function Publication({
  title,
  view,
  target,
  action,
  testId,
  editor,
}: {
  title: string;
  view: PublicationView | undefined;
  target: string | null;
  action: string;
  testId: string;
  editor: (done: () => void) => ReactNode;
}) {
  const [editing, setEditing] = useState(false);
  return (
    <div className="outside-publication" data-testid={testId}>
      <div className="settings-row-head">
        <span className="strong">{title}</span>
        <StatePill view={view} />
      </div>
      {view?.lastError && (
        <p className="health-detail-alert small" role="alert" data-testid="publication-error">
          {view.lastError}
        </p>
      )}
      {view && <p className="muted small">Last change {relativeTime(view.updatedAt)}</p>}
      {editing ? (
        editor(() => setEditing(false))
      ) : target ? (
        <button type="button" className="btn btn-small" onClick={() => setEditing(true)} data-testid={`${testId}-open`}>
          {view && view.state !== "draft" ? `Edit ${title.toLowerCase()}` : action}
        </button>
      ) : (
        <p className="muted small">Set up a connector for this in Settings, Connector work.</p>
      )}
      {target && !editing && <p className="muted small">Goes to {target}</p>}
    </div>
  );
}

/** See the module comment. */
export function CaseOutsidePanel({ caseId }: { caseId: string }) {
  const outside = useCaseOutside(caseId);
  if (!outside.data) return null;
  const d = outside.data;
  const notice = d.publications.find((p) => p.kind === "wix_notice");
  const article = d.publications.find((p) => p.kind === "drupal_article");
  return (
    <div className="panel" data-testid="case-outside">
      <h2 className="panel-title">Partner notice and knowledge base</h2>
      {d.origins.length > 0 && (
        <ul className="outside-origins" aria-label="Where this case came from">
          {d.origins.map((o) => (
            <Origin key={`${o.connectorId}-${o.externalId}`} origin={o} />
          ))}
        </ul>
      )}
      <Publication
        title="Partner notice"
        view={notice}
        target={d.noticeTarget}
        action="Publish notice"
        testId="notice"
        editor={(done) => <NoticeEditor caseId={caseId} draft={notice?.notice ?? d.noticeDraft} onDone={done} />}
      />
      <Publication
        title="Knowledge article"
        view={article}
        target={d.articleTarget}
        action="Promote to article"
        testId="article"
        editor={(done) => <ArticleEditor caseId={caseId} draft={article?.article ?? d.articleDraft} onDone={done} />}
      />
    </div>
  );
}
