// Modal dialogs: one frame (backdrop, Escape closes, focus moves in and returns) for forms such as
// "New case", and a confirmation for anything that throws work away.
import { useEffect, useRef, type ReactNode } from "react";
import { Actions } from "./form";

/** A modal dialog. `onClose` runs on Escape, on the backdrop and on the close button. */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  role = "dialog",
  testId,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  role?: "dialog" | "alertdialog";
  testId?: string;
  wide?: boolean;
}) {
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = panel.current?.querySelector<HTMLElement>(
      "[autofocus], input:not([type=hidden]), select, textarea, button.btn-primary, button.btn-danger",
    );
    first?.focus();
    return () => previous?.focus?.();
  }, []);
  const titleId = `dialog-title-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div
        ref={panel}
        className={`dialog${wide ? " dialog-wide" : ""}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            e.preventDefault();
            onClose();
          }
        }}
      >
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="dialog-close" onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-foot">{footer}</footer>}
      </div>
    </div>
  );
}

/** "Are you sure?" for destructive actions; the destructive button is named for what it does. */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  cancelLabel = "Cancel",
  onConfirm,
  onCancel,
  busy,
  error,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  error?: string | null;
}) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      role="alertdialog"
      testId="confirm-dialog"
      footer={
        <Actions
          error={error}
          onCancel={onCancel}
          cancelLabel={cancelLabel}
          cancelTestId="confirm-cancel"
          primary={{ label: confirmLabel, onClick: onConfirm, disabled: busy, testId: "confirm-ok", danger: true }}
        />
      }
    >
      <p className="confirm-message">{message}</p>
    </Dialog>
  );
}
