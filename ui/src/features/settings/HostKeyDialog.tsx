// The SFTP server's identity, asked the way `ssh` asks on first connect: the host, the key type
// and its SHA-256 fingerprint, to compare with what the partner gave, then Accept or Cancel. A
// changed key is a warning with both fingerprints; Cancel is the safe, default choice.
import type { HostKeyCheck } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { Actions } from "../../components/form";
import { useAcceptHostKey } from "./hooks";

/** `host` on port 22, `[host]:port` otherwise, as OpenSSH names a server. */
export function serverName(check: Pick<HostKeyCheck, "host" | "port">): string {
  return check.port === 22 ? check.host : `[${check.host}]:${check.port}`;
}

/** See the module comment. `onAccepted` runs once the key is stored (test again then). */
export function HostKeyDialog({
  connectorId,
  connectorName,
  check,
  onCancel,
  onAccepted,
}: {
  connectorId: string;
  connectorName: string;
  check: HostKeyCheck;
  onCancel: () => void;
  onAccepted: () => void;
}) {
  const accept = useAcceptHostKey(connectorId, { onSuccess: onAccepted });
  const server = serverName(check);
  const { presented, accepted } = check;
  const changed = accepted !== null;
  return (
    <Dialog
      title={changed ? "The server's host key has changed" : "Check the server's identity"}
      role={changed ? "alertdialog" : "dialog"}
      testId="host-key-dialog"
      onClose={onCancel}
      footer={
        <Actions
          error={accept.isError ? accept.error.message : null}
          onCancel={onCancel}
          cancelTestId="host-key-cancel"
          primary={{
            label: changed ? "Accept the new key" : "Accept key",
            busy: accept.isPending,
            busyLabel: "Checking the server",
            onClick: () => accept.mutate(presented.fingerprint),
            danger: changed,
            testId: "host-key-accept",
          }}
        />
      }
    >
      <div className="host-key" data-state={changed ? "changed" : "unknown"}>
        {changed ? (
          <p className="host-key-warning" role="alert">
            The host key of <span className="mono">{server}</span> has changed. Someone may be intercepting the connection, or the
            partner replaced its server key. Nothing was sent: no password, no key.
          </p>
        ) : (
          <p>
            The authenticity of host <span className="mono">{server}</span> ({connectorName}) can't be established.
          </p>
        )}
        <dl className="host-key-list">
          {accepted && (
            <>
              <dt>Accepted before</dt>
              <dd>
                {accepted.keyType} key fingerprint is{" "}
                <span className="mono host-key-fingerprint" data-testid="host-key-accepted">
                  {accepted.fingerprint}
                </span>
              </dd>
            </>
          )}
          <dt>{changed ? "Presented now" : "Presented"}</dt>
          <dd>
            {presented.keyType} key fingerprint is{" "}
            <span className="mono host-key-fingerprint" data-testid="host-key-fingerprint">
              {presented.fingerprint}
            </span>
          </dd>
        </dl>
        <p className="muted small">
          Compare it with the fingerprint the partner gave you (for example from <span className="mono">ssh-keygen -lf</span> on their
          host key). Accept only if they match: PartnerDesk then connects to this server with this key only.
        </p>
      </div>
    </Dialog>
  );
}
