// Form pieces every form and dialog shares: a labelled field with its error or hint, a labelled
// select, the options of a labelled enum, the row of actions at the foot of a form or dialog, and
// the loading / error / empty / loaded states of a query. One look, one behaviour, one place.
import type { KeyboardEvent, ReactNode, Ref } from "react";
import type { UseQueryResult } from "@tanstack/react-query";
import { ErrorState, SkeletonRows, Spinner } from "./bits";

/** The line under a field: its error when there is one, else its hint. */
export function FieldNote({ error, hint }: { error?: string | null | false; hint?: ReactNode }) {
  if (error) return <span className="field-error">{error}</span>;
  return hint ? <span className="muted small">{hint}</span> : null;
}

/** A label and a text input with its error or hint below; `data-testid` is the id. */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  placeholder,
  hint,
  mono,
  inputMode,
  autoFocus,
  maxLength,
}: {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (v: string) => void;
  error?: string | null | false;
  placeholder?: string;
  hint?: ReactNode;
  mono?: boolean;
  inputMode?: "numeric";
  autoFocus?: boolean;
  maxLength?: number;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <div className="form-field">
        <input
          id={id}
          className={`input${mono ? " mono" : ""}`}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder={placeholder}
          inputMode={inputMode}
          aria-invalid={!!error}
          data-testid={id}
          spellCheck={false}
          autoFocus={autoFocus}
          maxLength={maxLength}
        />
        <FieldNote error={error} hint={hint} />
      </div>
    </>
  );
}

/** One `<option>` per value, in the given order, labelled by `labels` (else by the value). */
export function Options<T extends string>({ values, labels }: { values: readonly T[]; labels?: Record<T, string> }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {labels ? labels[v] : v}
        </option>
      ))}
    </>
  );
}

/** The search field of a filter bar, with its magnifier. */
export function SearchBox({
  value,
  onChange,
  placeholder,
  label,
  testId,
  onKeyDown,
  ref,
}: {
  value: string;
  onChange: (v: string) => void;
  placeholder: string;
  label: string;
  testId: string;
  onKeyDown?: (e: KeyboardEvent<HTMLInputElement>) => void;
  ref?: Ref<HTMLInputElement>;
}) {
  return (
    <div className="search-box">
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <circle cx="8.5" cy="8.5" r="5" />
        <path d="m12.5 12.5 4 4" />
      </svg>
      <input
        ref={ref}
        type="search"
        className="input"
        placeholder={placeholder}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        data-testid={testId}
        aria-label={label}
      />
    </div>
  );
}

/** A `<select>` whose value is one of a string union; `data-testid` defaults to the id. */
export function Select<T extends string>({
  id,
  value,
  onChange,
  children,
  testId = id,
  label,
  invalid,
  disabled,
}: {
  id?: string;
  value: T;
  onChange: (v: T) => void;
  children: ReactNode;
  testId?: string;
  /** `aria-label`, for a select without a visible label. */
  label?: string;
  invalid?: boolean;
  disabled?: boolean;
}) {
  return (
    <select
      id={id}
      className="select"
      value={value}
      onChange={(e) => onChange(e.target.value as T)}
      aria-label={label}
      aria-invalid={invalid || undefined}
      disabled={disabled}
      data-testid={testId}
    >
      {children}
    </select>
  );
}

/** A label and a select, as one row of a `form-grid`. */
export function SelectField<T extends string>({
  id,
  label,
  value,
  onChange,
  children,
  testId = id,
  disabled,
}: {
  id: string;
  label: ReactNode;
  value: T;
  onChange: (v: T) => void;
  children: ReactNode;
  testId?: string;
  disabled?: boolean;
}) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <Select id={id} value={value} onChange={onChange} testId={testId} disabled={disabled}>
        {children}
      </Select>
    </>
  );
}

/** The primary button of a form or dialog. */
export interface PrimaryAction {
  label: ReactNode;
  /** Shows a spinner with this label and disables the button while true. */
  busy?: boolean;
  busyLabel?: string;
  disabled?: boolean;
  onClick?: () => void;
  /** `submit` submits the enclosing form, or the form named by `form`. */
  type?: "button" | "submit";
  form?: string;
  testId?: string;
  danger?: boolean;
}

/**
 * The foot of a form or dialog: what to say first (an error, a note), then Cancel and the
 * primary action at the right.
 */
export function Actions({
  leading,
  error,
  onCancel,
  cancelLabel = "Cancel",
  cancelTestId,
  primary,
}: {
  leading?: ReactNode;
  error?: string | null;
  onCancel: () => void;
  cancelLabel?: string;
  cancelTestId?: string;
  primary: PrimaryAction;
}) {
  return (
    <>
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
      {leading}
      <span className="top-bar-spacer" />
      <button type="button" className="btn" onClick={onCancel} data-testid={cancelTestId}>
        {cancelLabel}
      </button>
      <button
        type={primary.type ?? "button"}
        form={primary.form}
        className={`btn ${primary.danger ? "btn-danger" : "btn-primary"}`}
        onClick={primary.onClick}
        disabled={primary.disabled || primary.busy}
        data-testid={primary.testId}
      >
        {primary.busy && primary.busyLabel && <Spinner label={primary.busyLabel} />}
        {primary.label}
      </button>
    </>
  );
}

/** A mutation's failure as a banner above a form's actions. */
export function ErrorBanner({ error }: { error: Error | null }) {
  if (!error) return null;
  return (
    <p className="inline-banner-error" role="alert">
      {error.message}
    </p>
  );
}

/**
 * A query's states: skeleton rows while pending, the error with a retry, `empty` when
 * `isEmpty(data)`, else `children(data)`.
 */
export function QueryView<T>({
  query,
  skeletonRows,
  errorTitle,
  isEmpty,
  empty,
  children,
}: {
  query: UseQueryResult<T>;
  skeletonRows: number;
  errorTitle: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <SkeletonRows rows={skeletonRows} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} title={errorTitle} />;
  if (isEmpty?.(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}
