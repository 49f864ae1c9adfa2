// Settings' "Background jobs": each job the supervisor runs, its state in words, restarts and
// last failure, kept fresh by the `jobs` topic; empty and error states.
import { describe, expect, it } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import { emit } from "@tauri-apps/api/event";
import type { JobView } from "../../bindings";
import { CHANGED_EVENT } from "../../app/topics";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";

const NOW = Date.now();

const JOBS: JobView[] = [
  {
    name: "Sync: ACME production",
    state: "running",
    restarts: 0,
    lastFailure: null,
    startedAt: new Date(NOW - 3 * 3_600_000).toISOString(),
  },
  {
    name: "Transfers",
    state: "restarting",
    restarts: 2,
    lastFailure: "the SFTP session ended unexpectedly",
    startedAt: new Date(NOW - 5 * 60_000).toISOString(),
  },
];

function setup(jobs: JobView[] = JOBS) {
  const backend = createMockBackend({ now: NOW, jobs: jobs.map((j) => ({ ...j })) });
  const rendered = renderApp((cmd, args) => backend.handle(cmd, args), "#/settings");
  return { backend, ...rendered };
}

describe("settings: background jobs", () => {
  it("lists each job with its state in words, restarts, last failure and start time", async () => {
    setup();
    const rows = await screen.findAllByTestId("job-row");
    expect(rows).toHaveLength(2);

    expect(within(rows[0]).getByTestId("job-name")).toHaveTextContent("Sync: ACME production");
    expect(within(rows[0]).getByTestId("job-state")).toHaveTextContent("Running");
    expect(within(rows[0]).getByTestId("job-restarts")).toHaveTextContent("Never restarted");
    expect(within(rows[0]).getByTestId("job-started")).toHaveTextContent("Started 3 h ago");
    expect(within(rows[0]).queryByTestId("job-failure")).not.toBeInTheDocument();

    expect(within(rows[1]).getByTestId("job-name")).toHaveTextContent("Transfers");
    expect(within(rows[1]).getByTestId("job-state")).toHaveTextContent("Restarting");
    expect(within(rows[1]).getByTestId("job-restarts")).toHaveTextContent("Restarted 2 times");
    expect(within(rows[1]).getByTestId("job-failure")).toHaveTextContent(
      "Last failure: the SFTP session ended unexpectedly",
    );
    expect(within(rows[1]).getByTestId("job-started")).toHaveTextContent("Started 5 min ago");
  });

  it("refreshes when the jobs topic changes", async () => {
    const { backend, callsOf } = setup();
    await screen.findAllByTestId("job-row");
    const before = callsOf("background_jobs").length;
    backend.jobs[1].state = "running";
    await act(async () => {
      await emit(CHANGED_EVENT, { topics: ["jobs"] });
    });
    await waitFor(() => expect(callsOf("background_jobs").length).toBeGreaterThan(before));
    await waitFor(() =>
      expect(within(screen.getAllByTestId("job-row")[1]).getByTestId("job-state")).toHaveTextContent("Running"),
    );
    // The failure stays on record after a successful restart.
    expect(within(screen.getAllByTestId("job-row")[1]).getByTestId("job-failure")).toBeInTheDocument();
  });

  it("says so when no job runs", async () => {
    setup([]);
    expect(await screen.findByTestId("jobs-empty")).toHaveTextContent("No background job is running.");
  });

  it("shows an error with a retry when the jobs cannot be read", async () => {
    const backend = createMockBackend({ now: NOW, jobs: JOBS });
    let fail = true;
    renderApp((cmd, args) => {
      if (cmd === "background_jobs" && fail) throw { code: "app.internal", message: "The job supervisor did not answer." };
      return backend.handle(cmd, args);
    }, "#/settings");
    const section = await screen.findByTestId("jobs-section");
    const error = await within(section).findByTestId("error-state");
    expect(error).toHaveTextContent("Could not read the background jobs");
    expect(error).toHaveTextContent("The job supervisor did not answer.");
    fail = false;
    act(() => within(section).getByTestId("retry").click());
    expect(await within(section).findAllByTestId("job-row")).toHaveLength(2);
  });
});
