// Dev-only preview entry (mock.html): installs a mocked Tauri IPC over the answers the real code
// recorded for the demo tenant (see ./backend.ts), then mounts the real app. Query parameters
// pick a scenario for screenshots: ?offline=1, ?error=1 (last sync failed), ?syncing=1,
// ?latency=MS, ?keychain=0 (the OS keychain is unavailable), ?nosettings=1 (no accounts or
// connectors).
// Add a hash route to open a screen: mock.html?offline=1#/outbox, #/settings, #/cases/<id>.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { mockIPC } from "@tauri-apps/api/mocks";
import { App, createQueryClient } from "../App";
import { createMockBackend } from "./backend";
import "../styles.css";

const params = new URLSearchParams(window.location.search);
const backend = createMockBackend({
  sync: {
    connectivity: params.has("offline") ? "offline" : "online",
    syncing: params.has("syncing"),
    lastSyncedAt: new Date(Date.now() - (params.has("offline") ? 47 : 2) * 60_000).toISOString(),
    lastError: params.has("error")
      ? { code: "auth.unauthorized", message: "Trading Grid refused the credentials. Sign in again in Settings." }
      : null,
  },
  keychainAvailable: params.get("keychain") !== "0",
  noSettings: params.has("nosettings"),
});
const latency = Number(params.get("latency") ?? 60);
mockIPC(
  (cmd, args) =>
    new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(backend.handle(cmd, args as Record<string, unknown>));
        } catch (e) {
          reject(e);
        }
      }, latency);
    }),
  { shouldMockEvents: true },
);

/**
 * `?do=` drives the preview for screenshots of dialogs and forms, steps separated by `;`:
 * `click:<test id>[:<index>]`, `type:<test id>=<text>`, `key:<key>`, `wait:<ms>`.
 */
async function runScript(script: string) {
  const find = async (testId: string, index = 0): Promise<HTMLElement | null> => {
    for (let i = 0; i < 50; i += 1) {
      const hits = document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`);
      if (hits[index]) return hits[index];
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  };
  for (const step of script.split(";").filter(Boolean)) {
    const [verb, ...rest] = step.split(":");
    const arg = rest.join(":");
    if (verb === "click") {
      const [id, index] = arg.split(":");
      (await find(id, Number(index ?? 0)))?.click();
    } else if (verb === "type") {
      const [id, ...text] = arg.split("=");
      const el = (await find(id)) as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null;
      if (el) {
        const proto = Object.getPrototypeOf(el) as object;
        Object.getOwnPropertyDescriptor(proto, "value")?.set?.call(el, text.join("="));
        el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
      }
    } else if (verb === "key") {
      window.dispatchEvent(new KeyboardEvent("keydown", { key: arg, bubbles: true }));
    } else if (verb === "wait") {
      await new Promise((r) => setTimeout(r, Number(arg)));
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App client={createQueryClient()} />
    </StrictMode>,
  );
  const script = params.get("do");
  if (script) void runScript(script);
}
