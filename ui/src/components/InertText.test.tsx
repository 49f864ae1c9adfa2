// The inert-text rule: partner-supplied names, titles and comments never render as markup and
// never hide or reorder characters.
import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { InertText, hasHiddenCharacters, visibleText } from "./InertText";

describe("visibleText", () => {
  it("writes out a right-to-left override so a disguised file name reads as what it is", () => {
    expect(visibleText("inv\u202Efdp.exe")).toBe("inv⟨U+202E⟩fdp.exe");
    expect(visibleText("inv\u202Efdp.exe")).not.toContain("\u202E");
  });

  it("writes out every bidi control, zero-width and control character", () => {
    const hidden = [
      "\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069",
      "\u200E", "\u200F", "\u061C", "\u200B", "\u200D", "\uFEFF", "\u0000", "\u001B", "\u007F", "\u0085",
    ];
    for (const c of hidden) {
      const shown = visibleText(`a${c}b`);
      expect(shown).toMatch(/^a⟨U\+[0-9A-F]{4}⟩b$/);
      expect(hasHiddenCharacters(`a${c}b`)).toBe(true);
    }
  });

  it("leaves ordinary text alone: accents, right-to-left scripts, emoji, line breaks, markup", () => {
    for (const text of ["Verona Vittles", "Müller & Söhne", "شركة التجارة", "חברה בע\"מ", "📦 ok", "line\nnext\ttab", "<b>bold</b>"]) {
      expect(visibleText(text)).toBe(text);
      expect(hasHiddenCharacters(text)).toBe(false);
    }
  });
});

describe("InertText", () => {
  it("renders markup and scripts as text, isolated, and marks hidden characters", () => {
    const { container } = render(
      <p>
        Document <InertText text={'<img src=x onerror="alert(1)"><script>alert(2)</script>inv\u202Efdp.exe'} /> attached
      </p>,
    );
    const bdi = container.querySelector("bdi")!;
    expect(bdi.textContent).toBe('<img src=x onerror="alert(1)"><script>alert(2)</script>inv⟨U+202E⟩fdp.exe');
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(bdi.dataset.hiddenCharacters).toBe("true");
    expect(container.textContent).not.toContain("\u202E");
  });

  it("does not mark plain text", () => {
    const { container } = render(<InertText text="receiving-report.pdf" />);
    expect(container.querySelector("bdi")!.dataset.hiddenCharacters).toBeUndefined();
  });
});
