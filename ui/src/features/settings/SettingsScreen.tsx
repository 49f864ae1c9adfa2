// Settings: the keychain notice when secrets cannot be stored, Trading Grid accounts (workspaces),
// connectors, the desktop (notifications, tray, SLA policy, escalation rules) and the background jobs.
import { useSyncStatus } from "../../app/sync";
import { useKeychainStatus } from "./hooks";
import { AccountsSection } from "./AccountsSection";
import { ConnectorsSection } from "./ConnectorsSection";
import { JobsSection } from "./JobsSection";
import { ConnectorWorkSection } from "../outside/ConnectorWorkSection";
import { RetentionSection } from "../retention/RetentionSection";
import { DeskSection } from "../desk/DeskSection";

function KeychainNotice() {
  const status = useKeychainStatus();
  if (!status.data || status.data.available) return null;
  return (
    <div className="keychain-notice" role="alert" data-testid="keychain-notice" data-code={status.data.code ?? "keychain.unavailable"}>
      <svg viewBox="0 0 20 20" aria-hidden="true">
        <rect x="4" y="9" width="12" height="8" rx="1.5" />
        <path d="M7 9V6.5a3 3 0 0 1 6 0V9" />
      </svg>
      <div>
        <p className="keychain-notice-title">The system keychain is unavailable</p>
        <p>
          {status.data.message ?? "PartnerDesk could not reach the system keychain, where it keeps passwords and keys."}
        </p>
        <p className="muted small">
          PartnerDesk works read-only on its cache until the keychain is available: nothing can sign in, and new
          secrets cannot be saved.
        </p>
      </div>
    </div>
  );
}

/** See the module comment. */
export function SettingsScreen() {
  const sync = useSyncStatus();
  return (
    <section className="screen screen-scroll" aria-labelledby="settings-heading">
      <div className="screen-head">
        <h1 id="settings-heading">Settings</h1>
        {sync.data && <span className="screen-count">Open now: {sync.data.workspaceName}</span>}
      </div>
      <KeychainNotice />
      <AccountsSection demoActive={sync.data?.isDemo ?? false} />
      <ConnectorsSection />
      <ConnectorWorkSection />
      <RetentionSection />
      <DeskSection />
      <JobsSection />
    </section>
  );
}
