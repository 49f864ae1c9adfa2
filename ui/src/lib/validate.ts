// Inline validation for the Settings forms: plain words for what is missing or malformed, checked
// before anything is sent to the shell (which validates again).

/** `null` when valid, otherwise what to fix. */
export type Problem = string | null;

/** A required text field. */
export function required(value: string | null | undefined, what: string): Problem {
  return value && value.trim() ? null : `Enter ${what}.`;
}

/** An absolute http(s) URL with a host. */
export function httpUrl(value: string | null | undefined, what: string, optional = false): Problem {
  const v = (value ?? "").trim();
  if (!v) return optional ? null : `Enter ${what}.`;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return `${capitalise(what)} must be a full address such as https://example.com.`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `${capitalise(what)} must start with https:// (or http:// for a local test server).`;
  }
  if (!url.hostname) return `${capitalise(what)} needs a host name.`;
  return null;
}

/** A TCP port, 1 to 65535. */
export function port(value: string): Problem {
  const v = value.trim();
  if (!v) return "Enter the port (22 for SFTP).";
  if (!/^\d+$/.test(v)) return "The port is a whole number.";
  const n = Number(v);
  if (n < 1 || n > 65535) return "The port must be between 1 and 65535.";
  return null;
}

/** A host name or address: no scheme, no path, no spaces. */
export function hostName(value: string): Problem {
  const v = value.trim();
  if (!v) return "Enter the host name.";
  if (/^[a-z]+:\/\//i.test(v)) return "Enter the host name only, without sftp:// or https://.";
  if (/[\s/]/.test(v)) return "A host name has no spaces or slashes.";
  return null;
}

/** An S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens). */
export function bucketName(value: string): Problem {
  const v = value.trim();
  if (!v) return "Enter the bucket name.";
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v)) {
    return "A bucket name has 3 to 63 lower-case letters, digits, dots or hyphens.";
  }
  return null;
}

/** True when no field has a problem. */
export function allValid(problems: Record<string, Problem>): boolean {
  return Object.values(problems).every((p) => p === null);
}

function capitalise(s: string): string {
  const plain = s.replace(/^(the|a|an) /i, "");
  return plain.charAt(0).toUpperCase() + plain.slice(1);
}
