// Light or dark: following the OS by default, or the analyst's choice (Settings, the palette),
// kept in local storage and applied as `data-theme` on the document root (styles.css).
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

/** Applies a theme to the document (at start and when chosen). */
export function applyTheme(theme: Theme = currentTheme()): void {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
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
