// Dev/test only: what the mock keeps that the Rust fixture test does not record, because the
// real code needs an OS keychain or live peers for it: the accounts and connectors of a demo
// install, what testing each stored connector answers, the background jobs, and the desktop
// settings.
import type {
  AccountView,
  ConnectionTestResult,
  ConnectorView,
  DeskSettings,
  JobView,
  KeychainStatus,
  Priority,
  Weekday,
} from "../bindings";

/** Settings the mock keeps: views as listed, secrets apart (the "keychain"), never returned. */
export interface MockSettings {
  accounts: AccountView[];
  connectors: ConnectorView[];
  /** `account:<id>:key`, `account:<id>:secret`, `connector:<id>` -> secret. */
  keychain: Map<string, string>;
  /** Connector id -> what "Test" answers for it (others: connected) once an SFTP server's host
   * key is the accepted one. */
  tests: Map<string, ConnectionTestResult>;
  /** The host key each SFTP server presents now (`host:port` -> fingerprint); a server not
   * listed presents `mockFingerprint(host, port)`. Tests change it to play a replaced key. */
  serverKeys: Map<string, string>;
}

/** The ED25519 host key fingerprint the mock SFTP server at `host:port` presents by default. */
export function mockFingerprint(host: string, port: number): string {
  const seed = `${host}:${port}`;
  let text = "";
  for (let i = 0; text.length < 43; i++) {
    const code = (seed.charCodeAt(i % seed.length) * 31 + i * 7) % 62;
    text += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[code];
  }
  return `SHA256:${text}`;
}

/** `keychain_status` when the OS keychain does not answer. */
export const KEYCHAIN_UNAVAILABLE: KeychainStatus = {
  available: false,
  code: "keychain.unavailable",
  message:
    "The system keychain (Secret Service) did not answer. Unlock your keyring or start your desktop's keyring service, then restart PartnerDesk.",
};

/** Two accounts (one whose secret Trading Grid refuses) and three connectors. */
export function seedSettings(): MockSettings {
  const keychain = new Map<string, string>([
    ["account:acct-prod:key", "mock-key-prod"],
    ["account:acct-prod:secret", "mock-secret-prod"],
    ["account:acct-beta:key", "mock-key-beta"],
    ["account:acct-beta:secret", "mock-secret-beta-revoked"],
    ["connector:conn-sftp", "mock-sftp-password"],
    ["connector:conn-s3", "mock-s3-secret"],
  ]);
  const account = (id: string, name: string, beta: boolean): AccountView => ({
    id,
    name,
    hostKind: beta ? "beta" : "production",
    baseUrl: beta ? "https://apibetagrid.opentext.com" : "https://apigrid.opentext.com",
    companyId: "GC00804444LX",
    consumerKeySet: true,
    consumerSecretSet: true,
    active: false,
    health: beta ? "sign_in_needed" : "ok",
    caseServer: { settings: { kind: "none" }, baseUrl: null, clientIdSet: false, clientSecretSet: false },
    probe: null,
  });
  return {
    accounts: [account("acct-prod", "ACME production", false), account("acct-beta", "ACME beta (testing)", true)],
    connectors: [
      {
        id: "conn-sftp",
        name: "Carrier POD drop folder",
        settings: {
          kind: "sftp",
          host: "sftp.tidewater-freight.example",
          port: 22,
          user: "demoretail",
          auth: { kind: "password" },
          remote_dir: "/outbound/pod",
          host_key: {
            algorithm: "ssh-ed25519",
            public_key: "AAAAC3NzaC1lZDI1NTE5AAAAIMockTidewaterFreightHostKey",
            fingerprint: mockFingerprint("sftp.tidewater-freight.example", 22),
          },
        },
        secretSet: true,
      },
      {
        id: "conn-s3",
        name: "Case archive",
        settings: {
          kind: "s3",
          endpoint: null,
          region: "eu-central-1",
          bucket: "demoretail-case-archive",
          access_key_id: "AKIAIOSFODNN7EXAMPLE",
        },
        secretSet: true,
      },
      {
        id: "conn-drupal",
        name: "Partner knowledge base",
        settings: { kind: "drupal", base_url: "https://support.demoretail.example", auth: { kind: "oauth", client_id: "partnerdesk" } },
        secretSet: false,
      },
    ],
    keychain,
    serverKeys: new Map(),
    tests: new Map<string, ConnectionTestResult>([
      [
        "conn-sftp",
        {
          ok: true,
          code: null,
          message: "Connected to sftp.tidewater-freight.example:22 as demoretail; /outbound/pod can be read and written.",
        },
      ],
      ["conn-s3", { ok: true, code: null, message: "Bucket demoretail-case-archive in eu-central-1 is reachable and writable." }],
      [
        "conn-drupal",
        { ok: false, code: "account.secret_missing", message: "No secret is stored for this connector. Edit it and enter one." },
      ],
    ]),
  };
}

/** The demo workspace's sync job, running for two hours. */
export function seedJobs(now: number): JobView[] {
  return [
    {
      name: "Sync: Demo workspace",
      state: "running",
      restarts: 0,
      lastFailure: null,
      startedAt: new Date(now - 2 * 3_600_000).toISOString(),
    },
  ];
}

/** The desktop settings as a fresh install has them (the Rust defaults: nobody chosen as "me",
 * every notification on, close-to-tray, weekdays 9 to 5 in New York, targets per priority). */
export function seedDesk(): DeskSettings {
  const day = (weekday: Weekday) => ({ weekday, startMinute: 540, endMinute: 1020 });
  const target = (priority: Priority, firstResponseMinutes: number, resolutionMinutes: number) => ({
    kind: null,
    priority,
    firstResponseMinutes,
    resolutionMinutes,
  });
  return {
    me: null,
    notifications: { off: [], quietHours: null, paused: false },
    closeToTray: true,
    sla: {
      enabled: true,
      targets: [target("urgent", 60, 480), target("high", 120, 960), target("normal", 240, 2400), target("low", 480, 4800)],
      calendar: {
        timeZone: "America/New_York",
        days: [day("monday"), day("tuesday"), day("wednesday"), day("thursday"), day("friday")],
        holidays: [],
      },
      atRiskPercent: 75,
    },
    escalationRules: [],
  };
}
