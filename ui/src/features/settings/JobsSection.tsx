// The background jobs the app runs (sync today; transfers, watchers and connectors next): what
// each is doing, how often it was restarted after a failure and the last failure's message, so an
// analyst can see why something stopped moving. Read-only; the `jobs` topic keeps it fresh.
import type { JobState, JobView } from "../../bindings";
import { QueryView } from "../../components/form";
import { dateTime, relativeTime } from "../../lib/format";
import { useBackgroundJobs } from "./hooks";

const STATE: Record<JobState, { label: string; className: string }> = {
  running: { label: "Running", className: "health-ok" },
  restarting: { label: "Restarting", className: "health-warn" },
  stopped: { label: "Stopped", className: "health-unknown" },
};

function restartsText(n: number): string {
  if (n === 0) return "Never restarted";
  return n === 1 ? "Restarted once" : `Restarted ${n} times`;
}

function JobRow({ job }: { job: JobView }) {
  const state = STATE[job.state];
  return (
    <li className={`settings-row${job.lastFailure ? " settings-row-alert" : ""}`} data-testid="job-row">
      <div className="settings-row-main">
        <div className="settings-row-head">
          <span className="settings-row-name" data-testid="job-name">
            {job.name}
          </span>
          <span className={`health ${state.className}`} data-testid="job-state" data-state={job.state}>
            {state.label}
          </span>
        </div>
        <span className="muted small">
          <span data-testid="job-restarts">{restartsText(job.restarts)}</span> ·{" "}
          <span data-testid="job-started" title={dateTime(job.startedAt)}>
            Started {relativeTime(job.startedAt)}
          </span>
        </span>
        {job.lastFailure && (
          <span className="health-detail-alert" data-testid="job-failure">
            Last failure: {job.lastFailure}
          </span>
        )}
      </div>
    </li>
  );
}

/** See the module comment. */
export function JobsSection() {
  const jobs = useBackgroundJobs();
  return (
    <section className="settings-section" aria-labelledby="jobs-heading" data-testid="jobs-section">
      <div className="settings-section-head">
        <div>
          <h2 id="jobs-heading">Background jobs</h2>
          <p className="muted small">What PartnerDesk does behind the scenes. A job that fails is restarted.</p>
        </div>
      </div>
      <QueryView
        query={jobs}
        skeletonRows={1}
        errorTitle="Could not read the background jobs"
        isEmpty={(data) => data.length === 0}
        empty={
          <p className="settings-empty" data-testid="jobs-empty">
            No background job is running.
          </p>
        }
      >
        {(data) => (
          <ul className="settings-list" data-testid="job-list">
            {data.map((job) => (
              <JobRow key={job.name} job={job} />
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}
