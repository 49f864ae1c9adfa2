// Light or dark: following the OS by default, or the analyst's choice (Settings, the palette),
// kept in local storage. The document root always carries the resolved `data-theme` ("light" or
// "dark"), so styles.css holds the dark palette once; following the OS, it changes with the OS.
export type Theme = "system" | "light" | "dark";

const KEY = "partnerdesk.theme";

/** The chosen theme. */
export function currentTheme(): Theme {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

/** The OS's dark-mode query, when the page can ask (jsdom cannot). */
function osDarkQuery(): MediaQueryList | null {
  return typeof window.matchMedia === "function"
    ? window.matchMedia("(prefers-color-scheme: dark)")
    : null;
}
let followingOs = false;

/** Applies a theme to the document (at start and when chosen). */
export function applyTheme(theme: Theme = currentTheme()): void {
  const osDark = osDarkQuery();
  const dark = theme === "dark" || (theme === "system" && osDark?.matches === true);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  if (theme === "system" && osDark && !followingOs) {
    followingOs = true;
    osDark.addEventListener("change", () => {
      if (currentTheme() === "system") applyTheme("system");
    });
  }
}

/** Chooses and applies a theme. */
export function chooseTheme(theme: Theme): void {
  try {
    if (theme === "system") window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, theme);
  } catch {
    // Storage off: the choice lasts for this session.
  }
  applyTheme(theme);
}
