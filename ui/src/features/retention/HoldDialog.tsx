// "Place / release hold" for a case's or a partner's exports: a reason is required both ways, and
// a release is recorded on each case (audit trail and an internal note).
import { useState } from "react";
import type { HoldScope } from "../../bindings";
import { ErrorBanner } from "../../components/form";
import { useLegalHold } from "./hooks";

/** The hold form; `held` says whether the action releases. */
export function HoldForm({ scope, held, onDone }: { scope: HoldScope; held: boolean; onDone?: () => void }) {
  const hold = useLegalHold();
  const [reason, setReason] = useState("");
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button
        type="button"
        className="btn btn-small"
        onClick={() => setOpen(true)}
        data-testid={held ? "hold-release" : "hold-place"}
      >
        {held ? "Release hold" : "Place hold"}
      </button>
    );
  }
  return (
    <form
      className="hold-form"
      onSubmit={(e) => {
        e.preventDefault();
        hold.mutate(
          { scope, reason, place: !held },
          {
            onSuccess: () => {
              setOpen(false);
              setReason("");
              onDone?.();
            },
          },
        );
      }}
    >
      <label className="small" htmlFor="hold-reason">
        {held ? "Why is the hold released? (recorded on the case)" : "Why is the hold placed? (matter, ticket, who asked)"}
      </label>
      <input
        id="hold-reason"
        className="input"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setOpen(false);
        }}
        autoFocus
        data-testid="hold-reason"
      />
      <ErrorBanner error={hold.error} />
      <div className="hold-actions">
        <button type="submit" className="btn btn-small btn-primary" disabled={hold.isPending} data-testid="hold-confirm">
          {held ? "Release hold" : "Place hold"}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
