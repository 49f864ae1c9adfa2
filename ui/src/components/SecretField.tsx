// A secret input (password, consumer secret, API key). A stored secret is never shown or
// prefilled: the field says it is stored in the keychain and offers Replace or Remove. What the
// field holds turns into the `null` (keep) / text (replace) / "" (remove) of the IPC inputs.
import { useRef, useState } from "react";
import { IpcError, REMOVE_SECRET } from "../lib/ipc";
import type { ErrorCode } from "../bindings/ErrorCode";

/** What the analyst chose to do with a secret. */
export type SecretChoice = { mode: "keep" } | { mode: "replace"; value: string } | { mode: "remove" };

/** The initial choice: keep a stored secret, otherwise start typing a new one. */
export function initialSecret(stored: boolean): SecretChoice {
  return stored ? { mode: "keep" } : { mode: "replace", value: "" };
}

/** The value the IPC input carries: `null` keeps, a string replaces, `REMOVE_SECRET` deletes. */
export function secretInput(choice: SecretChoice): string | null {
  if (choice.mode === "keep") return null;
  if (choice.mode === "remove") return REMOVE_SECRET;
  return choice.value === "" ? null : choice.value;
}

/** True when the form will have a secret after saving (stored and kept, or newly typed). */
export function secretPresent(choice: SecretChoice, stored: boolean): boolean {
  if (choice.mode === "keep") return stored;
  if (choice.mode === "remove") return false;
  return choice.value !== "" || stored;
}

/**
 * When the app refused to send a stored secret to a changed address (`auth.reenter_secret`),
 * empties the field for typing and focuses it. Returns whether it did.
 */
export function reenterIfAsked(
  answer: ErrorCode | Error | null | undefined,
  fieldId: string,
  setChoice: (next: SecretChoice) => void,
): boolean {
  const code = answer instanceof IpcError ? answer.code : answer instanceof Error ? null : answer;
  if (code !== "auth.reenter_secret") return false;
  setChoice({ mode: "replace", value: "" });
  requestAnimationFrame(() => document.getElementById(fieldId)?.focus());
  return true;
}

/** See the module comment. */
export function SecretField({
  id,
  label,
  stored,
  choice,
  onChange,
  testId,
  error,
  hint,
  disabled,
}: {
  id: string;
  label: string;
  stored: boolean;
  choice: SecretChoice;
  onChange: (next: SecretChoice) => void;
  testId: string;
  error?: string | null;
  hint?: string;
  disabled?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [reveal, setReveal] = useState(false);
  const typing = choice.mode === "replace";
  const placeholder =
    choice.mode === "keep"
      ? "•••••••• stored in the keychain"
      : choice.mode === "remove"
        ? "Removed from the keychain when you save"
        : stored
          ? "Enter the new value"
          : "";
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <div className="form-field">
        <div className="secret-row">
          <input
            ref={input}
            id={id}
            className={`input secret-input${choice.mode === "keep" ? " secret-stored" : ""}`}
            type={typing && reveal ? "text" : "password"}
            autoComplete="off"
            spellCheck={false}
            value={typing ? choice.value : ""}
            placeholder={placeholder}
            disabled={!typing || disabled}
            onChange={(e) => onChange({ mode: "replace", value: e.target.value })}
            aria-invalid={!!error}
            data-testid={testId}
            data-stored={stored ? "true" : "false"}
          />
          {typing && choice.value !== "" && (
            <button
              type="button"
              className="btn btn-small btn-ghost"
              onClick={() => setReveal(!reveal)}
              aria-pressed={reveal}
            >
              {reveal ? "Hide" : "Show"}
            </button>
          )}
          {stored && choice.mode === "keep" && (
            <>
              <button
                type="button"
                className="btn btn-small"
                disabled={disabled}
                onClick={() => {
                  onChange({ mode: "replace", value: "" });
                  setTimeout(() => input.current?.focus(), 0);
                }}
                data-testid={`${testId}-replace`}
              >
                Replace
              </button>
              <button
                type="button"
                className="btn btn-small btn-ghost-danger"
                disabled={disabled}
                onClick={() => onChange({ mode: "remove" })}
                data-testid={`${testId}-remove`}
              >
                Remove
              </button>
            </>
          )}
          {stored && choice.mode !== "keep" && (
            <button
              type="button"
              className="btn btn-small btn-ghost"
              onClick={() => {
                setReveal(false);
                onChange({ mode: "keep" });
              }}
              data-testid={`${testId}-keep`}
            >
              Keep stored
            </button>
          )}
        </div>
        {error ? <span className="field-error">{error}</span> : hint ? <span className="muted small">{hint}</span> : null}
      </div>
    </>
  );
}
