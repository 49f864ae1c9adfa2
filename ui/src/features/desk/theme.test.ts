// The theme an analyst sees: the OS's while following it (and when the OS switches), else the
// one chosen, always as data-theme on the root, where styles.css keeps the dark palette once.
import { afterEach, describe, expect, it, vi } from "vitest";
import { applyTheme, chooseTheme } from "./theme";

type Listener = () => void;

/** An OS whose dark mode the test switches. */
function fakeOs(dark: boolean) {
  const listeners: Listener[] = [];
  const query = {
    get matches() {
      return dark;
    },
    addEventListener: (_: string, listener: Listener) => listeners.push(listener),
  };
  vi.stubGlobal("matchMedia", () => query);
  return {
    switchTo(next: boolean) {
      dark = next;
      listeners.forEach((listener) => listener());
    },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

describe("theme", () => {
  it("follows the OS by default, also when the OS switches, and keeps a chosen theme", () => {
    const os = fakeOs(true);
    applyTheme();
    expect(document.documentElement.dataset.theme).toBe("dark");
    os.switchTo(false);
    expect(document.documentElement.dataset.theme).toBe("light");
    chooseTheme("dark");
    os.switchTo(false);
    expect(document.documentElement.dataset.theme).toBe("dark");
    chooseTheme("system");
    expect(document.documentElement.dataset.theme).toBe("light");
    os.switchTo(true);
    expect(document.documentElement.dataset.theme).toBe("dark");
  });

  it("is light where the page cannot ask the OS", () => {
    applyTheme("system");
    expect(document.documentElement.dataset.theme).toBe("light");
  });
});
