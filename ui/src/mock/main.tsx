// Dev-only preview entry (mock.html): installs a mocked Tauri IPC over a generated demo tenant,
// then mounts the real app. Query parameters pick a scenario for screenshots:
// ?offline=1, ?error=1 (last sync failed), ?syncing=1, ?cases=N, ?empty=1, ?latency=MS.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { mockIPC } from "@tauri-apps/api/mocks";
import { App, createQueryClient } from "../App";
import { createMockBackend } from "./backend";
import "../styles.css";

const params = new URLSearchParams(window.location.search);
const backend = createMockBackend({
  caseCount: params.has("empty") ? 0 : Number(params.get("cases") ?? 400),
  sync: {
    connectivity: params.has("offline") ? "offline" : "online",
    syncing: params.has("syncing"),
    lastSyncedAt: new Date(Date.now() - (params.has("offline") ? 47 : 2) * 60_000).toISOString(),
    lastError: params.has("error")
      ? { code: "auth.unauthorized", message: "Trading Grid refused the credentials. Sign in again in Settings." }
      : null,
    pendingChanges: params.has("offline") ? 3 : 0,
    failedChanges: params.has("error") ? 1 : 0,
  },
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

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App client={createQueryClient()} />
    </StrictMode>,
  );
}
