// Renders the whole app over a mocked IPC for a test, recording every command call.
import { render } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { QueryClient } from "@tanstack/react-query";
import { App } from "../App";

/** One recorded command call. */
export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** Installs `handler` as the backend, records calls, renders the app at `hash`. */
export function renderApp(handler: (cmd: string, args: Record<string, unknown>) => unknown, hash = "#/cases") {
  const calls: Call[] = [];
  mockIPC(
    async (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      return handler(cmd, a);
    },
    { shouldMockEvents: true },
  );
  window.location.hash = hash;
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: 30_000 }, mutations: { retry: 0 } },
  });
  const result = render(<App client={client} />);
  return { ...result, calls, client, callsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd) };
}
