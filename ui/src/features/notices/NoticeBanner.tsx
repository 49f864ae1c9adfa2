// Notices across the top of the window until the analyst dismisses them: a damaged cache and what
// was saved from it (and what was not), a cache or settings file from a newer PartnerDesk left
// untouched. Each says what happened, what it means for their work, and what to do.
import type { ReactNode } from "react";
import type { CacheRecoveredNotice, NewerFileNotice, Notice } from "../../bindings";
import { useDismissNotice, useNotices } from "./hooks";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function recoveredText(n: CacheRecoveredNotice): { title: string; body: ReactNode } {
  const s = n.salvage;
  const saved: string[] = [];
  if (s.changes > 0) {
    saved.push(
      `${plural(s.changes, "unsent change")}${s.refusedChanges > 0 ? ` (${s.refusedChanges} refused earlier, still in the Outbox)` : ""}`,
    );
  }
  if (s.localCases > 0) saved.push(plural(s.localCases, "case") + " you created");
  if (s.localComments > 0) saved.push(plural(s.localComments, "comment") + " you wrote");
  let outcome: string;
  if (s.queueUnreadable) {
    outcome = "None of your unsent changes could be read from the damaged file.";
  } else if (saved.length > 0) {
    outcome = `Saved from it: ${saved.join(", ")}. They are queued again and will be sent.`;
  } else if (s.unreadableChanges === 0) {
    outcome = "You had no unsent changes, so nothing of yours was lost.";
  } else {
    outcome = "";
  }
  const lost =
    s.unreadableChanges > 0
      ? ` Up to ${plural(s.unreadableChanges, "queued change")} could not be read and ${s.unreadableChanges === 1 ? "is" : "are"} lost: check the Outbox and redo what is missing.`
      : "";
  return {
    title: "The local cache was damaged and has been rebuilt.",
    body: (
      <>
        {outcome}
        {lost} Cases and exceptions are downloaded again from the server. The damaged file was kept as{" "}
        <code>{n.setAside}</code>.
      </>
    ),
  };
}

function newerText(kind: "cache" | "settings", n: NewerFileNotice): { title: string; body: ReactNode } {
  if (kind === "cache") {
    return {
      title: "This workspace's cache is from a newer version of PartnerDesk.",
      body: (
        <>
          It was written by a newer PartnerDesk (cache version {n.found}; this version reads up to {n.supported}) and
          was left untouched at <code>{n.path}</code>. Update PartnerDesk to work with it; until then nothing syncs and
          no changes can be made here.
        </>
      ),
    };
  }
  return {
    title: "Your settings are from a newer version of PartnerDesk.",
    body: (
      <>
        The settings file (format {n.found}; this version reads up to {n.supported}) was left untouched at{" "}
        <code>{n.path}</code>, so your accounts and connectors are not shown and settings cannot be saved. Update
        PartnerDesk to use them.
      </>
    ),
  };
}

function noticeText(notice: Notice): { title: string; body: ReactNode; id: string } {
  switch (notice.kind) {
    case "cacheRecovered":
      return { id: notice.id, ...recoveredText(notice) };
    case "cacheFromNewerVersion":
      return { id: notice.id, ...newerText("cache", notice) };
    case "settingsFromNewerVersion":
      return { id: notice.id, ...newerText("settings", notice) };
    default: {
      const unknown: never = notice;
      return unknown;
    }
  }
}

/** Every notice not dismissed yet, newest last; nothing when there are none. */
export function NoticeBanner() {
  const notices = useNotices();
  const dismiss = useDismissNotice();
  if (!notices.data || notices.data.length === 0) return null;
  return (
    <div className="notices" data-testid="notices">
      {notices.data.map((notice) => {
        const text = noticeText(notice);
        return (
          <section
            key={text.id}
            className={`notice notice-${notice.kind}`}
            role="alert"
            aria-label={text.title}
            data-testid="notice"
            data-kind={notice.kind}
          >
            <svg viewBox="0 0 20 20" aria-hidden="true">
              <path d="M10 3 2.5 16h15z" />
              <path d="M10 8v3.5M10 13.5v.5" />
            </svg>
            <div className="notice-text">
              <strong>{text.title}</strong> <span>{text.body}</span>
            </div>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => dismiss.mutate(text.id)}
              disabled={dismiss.isPending}
              data-testid="notice-dismiss"
            >
              Dismiss
            </button>
          </section>
        );
      })}
      {dismiss.isError && <p className="status-error">{dismiss.error.message}</p>}
    </div>
  );
}
