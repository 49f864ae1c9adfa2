// The answer of "Test connection", in words, green when it worked and red when it did not.
import type { ConnectionTestResult } from "../../bindings";

/** Either a test result or the error of the test command itself. */
export function TestResult({
  result,
  error,
  testId,
}: {
  result?: ConnectionTestResult;
  error?: string;
  testId: string;
}) {
  const ok = result?.ok ?? false;
  return (
    <div
      className={`test-result ${ok ? "test-ok" : "test-fail"}`}
      role="status"
      data-testid={testId}
      data-ok={ok ? "true" : "false"}
    >
      <span className="test-icon" aria-hidden="true">
        {ok ? "✓" : "!"}
      </span>
      <span>
        <strong>{ok ? "Connection works. " : "Connection failed. "}</strong>
        {result ? result.message : `The test could not run: ${error ?? "unknown error"}`}
        {result?.code && !ok && <span className="mono muted small"> ({result.code})</span>}
      </span>
    </div>
  );
}
