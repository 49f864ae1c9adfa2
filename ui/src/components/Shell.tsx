// The frame around every screen: navigation rail (with the outbox badge), top bar with the
// workspace, the offline and keychain banners, the notices about the analyst's files, and the status bar with connectivity, the sync state
// and "Sync now".
import type { ReactNode } from "react";
import { useSyncNow, useSyncStatus } from "../app/sync";
import { routeHref, type Route } from "../lib/router";
import { clockTime, relativeTime } from "../lib/format";
import { useNow } from "../lib/useDebounced";
import { Spinner } from "./bits";
import { NoticeBanner } from "../features/notices/NoticeBanner";
import { TransfersIndicator } from "../features/documents/TransfersScreen";
import { DropLayer } from "../features/documents/DropLayer";
import { PALETTE_SHORTCUT } from "../features/desk/palette";

type Section = "mine" | "cases" | "exceptions" | "partners" | "outbox" | "retention" | "transfers" | "folders" | "settings";

const NAV: { id: Section; label: string; icon: ReactNode }[] = [
  {
    id: "mine",
    label: "Mine",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <circle cx="10" cy="7" r="3" />
        <path d="M4 17c.6-3.2 3-5 6-5s5.4 1.8 6 5" />
      </svg>
    ),
  },
  {
    id: "cases",
    label: "Cases",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <path d="M3 5.5A1.5 1.5 0 0 1 4.5 4h3l1.5 1.5h6.5A1.5 1.5 0 0 1 17 7v7.5a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 3 14.5z" />
      </svg>
    ),
  },
  {
    id: "exceptions",
    label: "Exceptions",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <path d="M10 3 2.5 16h15z" />
        <path d="M10 8v3.5M10 13.5v.5" />
      </svg>
    ),
  },
  {
    id: "partners",
    label: "Partners",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <circle cx="7" cy="7.5" r="2.5" />
        <circle cx="13.5" cy="8.5" r="2" />
        <path d="M2.5 16c.5-2.7 2.3-4 4.5-4s4 1.3 4.5 4M11.5 12.6c.6-.4 1.2-.6 2-.6 1.9 0 3.2 1.2 3.6 3.5" />
      </svg>
    ),
  },
  {
    id: "outbox",
    label: "Outbox",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <path d="M3 11.5h4l1 2h4l1-2h4" />
        <path d="M3 11.5 5 5h10l2 6.5V16H3z" />
        <path d="M10 3v6M7.8 5.2 10 3l2.2 2.2" />
      </svg>
    ),
  },
  {
    id: "retention",
    label: "Retention",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <rect x="3" y="4" width="14" height="4" rx="1" />
        <path d="M4.5 8v7.5h11V8M8 11h4" />
      </svg>
    ),
  },
  {
    id: "transfers",
    label: "Transfers",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <path d="M6.5 16V4M3.5 7l3-3 3 3M13.5 4v12M10.5 13l3 3 3-3" />
      </svg>
    ),
  },
  {
    id: "folders",
    label: "Folders",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <path d="M2.5 5.5A1.5 1.5 0 0 1 4 4h3.5L9 5.5h7A1.5 1.5 0 0 1 17.5 7v7.5A1.5 1.5 0 0 1 16 16H4a1.5 1.5 0 0 1-1.5-1.5z" />
        <path d="M10 8v5M7.8 10.8 10 13l2.2-2.2" />
      </svg>
    ),
  },
  {
    id: "settings",
    label: "Settings",
    icon: (
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <circle cx="10" cy="10" r="2.5" />
        <path d="M10 2.5v2M10 15.5v2M2.5 10h2M15.5 10h2M4.7 4.7l1.4 1.4M13.9 13.9l1.4 1.4M4.7 15.3l1.4-1.4M13.9 6.1l1.4-1.4" />
      </svg>
    ),
  },
];

function activeSection(route: Route): Section {
  if (route.name === "mine") return "mine";
  if (route.name === "case" || route.name === "cases") return "cases";
  if (route.name === "partner" || route.name === "partners") return "partners";
  if (route.name === "outbox" || route.name === "retention" || route.name === "settings" || route.name === "transfers" || route.name === "folders") return route.name;
  return "exceptions";
}

/** Pending + failed changes on the Outbox item; red when something was refused. */
function OutboxBadge() {
  const sync = useSyncStatus();
  const pending = sync.data?.pendingChanges ?? 0;
  const failed = sync.data?.failedChanges ?? 0;
  if (pending + failed === 0) return null;
  return (
    <span
      className={`nav-badge${failed > 0 ? " nav-badge-failed" : ""}`}
      data-testid="nav-outbox-badge"
      title={`${pending} waiting, ${failed} refused`}
    >
      {pending + failed > 99 ? "99+" : pending + failed}
    </span>
  );
}

function NavRail({ route }: { route: Route }) {
  const active = activeSection(route);
  return (
    <nav className="nav-rail" aria-label="Main">
      <div className="brand" aria-label="PartnerDesk">
        <span className="brand-mark">PD</span>
      </div>
      {NAV.map((item) => (
        <a
          key={item.id}
          href={routeHref({ name: item.id })}
          className={`nav-item${active === item.id ? " active" : ""}`}
          aria-current={active === item.id ? "page" : undefined}
          data-testid={`nav-${item.id}`}
        >
          {item.icon}
          <span>{item.label}</span>
          {item.id === "outbox" && <OutboxBadge />}
        </a>
      ))}
    </nav>
  );
}

function TopBar() {
  const sync = useSyncStatus();
  return (
    <header className="top-bar">
      <span className="workspace-name" data-testid="workspace-name">
        {/* The sandbox calls itself "Demo workspace": the badge says so, the title need not. */}
        {!sync.data || (sync.data.isDemo && sync.data.workspaceName === "Demo workspace")
          ? "PartnerDesk"
          : sync.data.workspaceName}
      </span>
      {sync.data?.isDemo && (
        <span
          className="badge badge-demo"
          data-testid="demo-badge"
          title="Running on the built-in sandbox with sample data"
        >
          Demo workspace
        </span>
      )}
      <span className="top-bar-spacer" />
      <span className="hint">
        <kbd>{PALETTE_SHORTCUT}</kbd> commands · <kbd>/</kbd> search · <kbd>j</kbd>
        <kbd>k</kbd> move · <kbd>Enter</kbd> open · <kbd>n</kbd> new case · <kbd>Esc</kbd> back
      </span>
    </header>
  );
}

/** The offline banner, shown while the server cannot be reached. */
export function OfflineBanner() {
  const sync = useSyncStatus();
  if (sync.data?.connectivity !== "offline") return null;
  const since = sync.data.lastSyncedAt ? ` from ${clockTime(sync.data.lastSyncedAt)}` : "";
  const { pendingChanges: waiting, failedChanges: refused } = sync.data;
  return (
    <div className="offline-banner" role="status" data-testid="offline-banner">
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <path d="M2 7.5a12 12 0 0 1 16 0M5 10.5a7.5 7.5 0 0 1 10 0M8 13.5a3 3 0 0 1 4 0M3 3l14 14" />
      </svg>
      <span>
        You're offline — showing cached data{since}. Changes will be sent when the connection
        returns.
        {waiting + refused > 0 && (
          <>
            {" "}
            <a href={routeHref({ name: "outbox" })} data-testid="offline-waiting">
              {waiting} change{waiting === 1 ? "" : "s"} waiting
              {refused > 0 ? `, ${refused} refused` : ""}
            </a>
            .
          </>
        )}
      </span>
    </div>
  );
}

/** Across the app while the OS keychain cannot be reached: no account can sign in (the demo, whose
 * credentials are not secret, keeps working). */
export function KeychainBanner() {
  const sync = useSyncStatus();
  if (!sync.data?.keychainUnavailable) return null;
  return (
    <div className="keychain-banner" role="status" data-testid="keychain-banner">
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <rect x="4" y="9" width="12" height="8" rx="1.5" />
        <path d="M7 9V6.5a3 3 0 0 1 6 0V9" />
      </svg>
      <span>
        {sync.data.isDemo
          ? "The system keychain is unavailable, so Trading Grid accounts cannot be added or opened until it is. The demo workspace works as usual."
          : "The system keychain is unavailable, so PartnerDesk cannot sign in. It works read-only on its cache until the keychain is available."}
      </span>
      <a href={routeHref({ name: "settings" })}>Settings</a>
    </div>
  );
}

function StatusBar() {
  const sync = useSyncStatus();
  const now = useNow(15_000);
  const syncNow = useSyncNow();
  const s = sync.data;
  let state: ReactNode;
  if (sync.isError && !s) {
    state = <span className="status-error">Sync status unavailable: {sync.error.message}</span>;
  } else if (!s) {
    state = <span className="muted">Checking sync…</span>;
  } else if (s.syncing || syncNow.isPending) {
    state = (
      <span className="status-syncing" data-testid="sync-state">
        <Spinner label="Syncing" /> Syncing…
      </span>
    );
  } else if (s.lastError) {
    state = (
      <span className="status-error" data-testid="sync-state" title={s.lastError.code}>
        Sync failed: {s.lastError.message}
      </span>
    );
  } else {
    state = (
      <span data-testid="sync-state">
        {s.lastSyncedAt ? `Last synced ${relativeTime(s.lastSyncedAt, Math.max(now, Date.now()))}` : "Not synced yet"}
      </span>
    );
  }
  return (
    <footer className="status-bar" data-testid="status-bar">
      {s && (
        <span className={`conn conn-${s.connectivity}`} data-testid="connectivity" data-state={s.connectivity}>
          <span className="conn-dot" aria-hidden="true" />
          {s.connectivity === "online" ? "Online" : s.connectivity === "offline" ? "Offline" : "Connecting"}
        </span>
      )}
      {state}
      {s && s.pendingChanges > 0 && (
        <a className="status-pending" href={routeHref({ name: "outbox" })} data-testid="outbox-pending">
          {s.pendingChanges} change{s.pendingChanges === 1 ? "" : "s"} waiting to be sent
        </a>
      )}
      {s && s.failedChanges > 0 && (
        <a className="status-error" href={routeHref({ name: "outbox" })} data-testid="outbox-failed">
          {s.failedChanges} change{s.failedChanges === 1 ? "" : "s"} refused by the server
        </a>
      )}
      {syncNow.isError && <span className="status-error">{syncNow.error.message}</span>}
      <span className="top-bar-spacer" />
      <TransfersIndicator />
      <button
        type="button"
        className="btn btn-small"
        onClick={() => syncNow.mutate()}
        disabled={syncNow.isPending || s?.syncing}
        data-testid="sync-now"
      >
        Sync now
      </button>
    </footer>
  );
}

/** The application frame. */
export function Shell({ route, children }: { route: Route; children: ReactNode }) {
  return (
    <div className="app">
      <NavRail route={route} />
      <div className="app-main">
        <TopBar />
        <OfflineBanner />
        <KeychainBanner />
        <NoticeBanner />
        <main className="content">{children}</main>
        <DropLayer />
        <StatusBar />
      </div>
    </div>
  );
}
