// Renders the whole app over a mocked IPC for a test, recording every command call.
import { render } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { QueryClient } from "@tanstack/react-query";
import { App, askStartQueries } from "../App";
import type { CommandName } from "../bindings/commands";

/** One recorded command call. */
export interface Call {
  cmd: CommandName;
  args: Record<string, unknown>;
}

/** Installs `handler` as the backend, records calls, renders the app at `hash` (after the start
 * queries the production entry asks before its first render, with `askFirst`).
 * Command names are typed, so a test that names a command the contract lacks fails the type check. */
export function renderApp(
  handler: (cmd: CommandName, args: Record<string, unknown>) => unknown,
  hash = "#/cases",
  { askFirst = false }: { askFirst?: boolean } = {},
) {
  const calls: Call[] = [];
  mockIPC(
    async (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      const name = cmd as CommandName;
      calls.push({ cmd: name, args: a });
      return handler(name, a);
    },
    { shouldMockEvents: true },
  );
  window.location.hash = hash;
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false, staleTime: 30_000 }, mutations: { retry: 0 } },
  });
  if (askFirst) askStartQueries(client);
  const result = render(<App client={client} />);
  return { ...result, calls, client, callsOf: (cmd: CommandName) => calls.filter((c) => c.cmd === cmd) };
}
