// Text a partner or a server supplied (case titles, partner names, comments, document names) is
// shown as inert, visible characters: React never parses it as HTML, and the invisible
// characters that reorder or hide text (right-to-left overrides, bidi isolates, zero-width
// characters, control codes) are shown as ⟨U+202E⟩ so that "inv\u202Efdp.exe" cannot pass for
// "invexe.pdf". The text is also isolated (<bdi>): right-to-left names stay readable without
// reordering the words around them. One helper for every such place keeps the rule in one spot.

/** Characters that change how the text around them is ordered or shown, or are invisible. */
const HIDDEN_OR_REORDERING =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFF9-\uFFFB]/g;

/** `text` with every invisible or reordering character written out as ⟨U+XXXX⟩. */
export function visibleText(text: string): string {
  return text.replace(
    HIDDEN_OR_REORDERING,
    (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}⟩`,
  );
}

/** Whether `text` holds a character {@link visibleText} writes out. */
export function hasHiddenCharacters(text: string): boolean {
  HIDDEN_OR_REORDERING.lastIndex = 0;
  const found = HIDDEN_OR_REORDERING.test(text);
  HIDDEN_OR_REORDERING.lastIndex = 0;
  return found;
}

/** Partner-supplied text, shown inert and isolated; marked when it held hidden characters. */
export function InertText({ text, className }: { text: string; className?: string }) {
  const hidden = hasHiddenCharacters(text);
  return (
    <bdi
      className={className}
      data-hidden-characters={hidden ? "true" : undefined}
      title={hidden ? "This text contains hidden or direction-changing characters, shown as ⟨U+…⟩" : undefined}
    >
      {visibleText(text)}
    </bdi>
  );
}
