// The one door to the Rust side: the generated typed client (`bindings/commands.ts`, one method
// per command of the contract) over an `invoke` that turns every rejection into an `IpcError`
// carrying the shell's `{code, message}`. Nothing else in the UI calls `invoke`.
import { invoke } from "@tauri-apps/api/core";
import type { ErrorCode, ErrorInfo } from "../bindings";
import { makeCommands, type CommandName } from "../bindings/commands";

/** A failed command, with the shell's stable code and an analyst-readable message. */
export class IpcError extends Error implements ErrorInfo {
  readonly code: ErrorCode;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = "IpcError";
    this.code = info.code;
  }
}

function isErrorInfo(value: unknown): value is ErrorInfo {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ErrorInfo).code === "string" &&
    typeof (value as ErrorInfo).message === "string"
  );
}

/** Turns whatever a rejected `invoke` produced into an `IpcError`. */
export function toIpcError(raw: unknown): IpcError {
  if (raw instanceof IpcError) return raw;
  if (isErrorInfo(raw)) return new IpcError(raw);
  if (typeof raw === "string") return new IpcError({ code: "ipc.failed", message: raw });
  if (raw instanceof Error) return new IpcError({ code: "ipc.failed", message: raw.message });
  return new IpcError({ code: "ipc.failed", message: "The app did not answer as expected." });
}

/** Commands asked at least once on this page: the first ask and answer of each is marked on the
 * page's clock (`pd:ask:list_cases`, `pd:answer:list_cases`), which the app benchmark prints to
 * split the cold start (issue 16). */
const marked = new Set<string>();

async function call<T>(command: CommandName, args?: Record<string, unknown>): Promise<T> {
  const first = !marked.has(command);
  if (first) {
    marked.add(command);
    performance.mark?.(`pd:ask:${command}`);
  }
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toIpcError(raw);
  } finally {
    if (first) performance.mark?.(`pd:answer:${command}`);
  }
}

/** The typed commands, one method per command of the IPC contract (generated from Rust). */
export const api = makeCommands(call);

/**
 * Secret fields in `AccountInput` / `ConnectorInput`: `null` keeps the stored value, a string
 * replaces it, and this empty string asks the shell to delete the stored value.
 */
export const REMOVE_SECRET = "";
