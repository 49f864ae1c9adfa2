// The stylesheet is edited by several features at once; a rule left open by a merge silently
// swallows every rule after it (the browser reads them as nested), so the palette, Mine and the
// documents panel lost their styles once. Every block must close where it opened.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("styles.css", () => {
  it("closes every block it opens, so no rule is swallowed by an unclosed one", () => {
    const css = readFileSync(resolve(__dirname, "../styles.css"), "utf8").replace(
      /\/\*[\s\S]*?\*\//g,
      "",
    );
    let depth = 0;
    let line = 1;
    const openedAt: number[] = [];
    for (const ch of css) {
      if (ch === "\n") line += 1;
      if (ch === "{") {
        depth += 1;
        openedAt.push(line);
      } else if (ch === "}") {
        depth -= 1;
        openedAt.pop();
        expect(depth, `a "}" without its "{" near line ${line}`).toBeGreaterThanOrEqual(0);
      }
      // Top-level rules only nest inside @media / @supports blocks (depth 1 at most there).
      expect(depth, `a block opened near line ${openedAt[0]} is never closed`).toBeLessThanOrEqual(
        2,
      );
    }
    expect(depth, `a block opened near line ${openedAt[0]} is never closed`).toBe(0);
  });
});
