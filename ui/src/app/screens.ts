// The screens other than the case list, each in its own chunk: the case list is what a cold start
// paints, so the web process parses and runs only its code first (issue 16, cold start). The
// chunks are fetched in the background two seconds after start, once the first rows are on
// screen, so opening a screen later does not wait for its code.
import { lazy, type ComponentType } from "react";

type Loader<P> = () => Promise<ComponentType<P>>;

const loaders: Array<() => Promise<unknown>> = [];

/** A screen loaded on first use; `load` is also queued for the background fetch. */
function screen<P extends object>(load: Loader<P>) {
  loaders.push(load);
  return lazy(async () => ({ default: await load() }));
}

export const CaseDetailScreen = screen(async () => (await import("../features/cases/CaseDetailScreen")).CaseDetailScreen);
export const ExceptionsScreen = screen(async () => (await import("../features/exceptions/ExceptionsScreen")).ExceptionsScreen);
export const PartnersScreen = screen(async () => (await import("../features/partners/PartnersScreen")).PartnersScreen);
export const PartnerScreen = screen(async () => (await import("../features/partners/PartnersScreen")).PartnerScreen);
export const RetentionScreen = screen(async () => (await import("../features/retention/RetentionScreen")).RetentionScreen);
export const OutboxScreen = screen(async () => (await import("../features/outbox/OutboxScreen")).OutboxScreen);
export const FoldersScreen = screen(async () => (await import("../features/folders/FoldersScreen")).FoldersScreen);
export const SettingsScreen = screen(async () => (await import("../features/settings/SettingsScreen")).SettingsScreen);
export const MineScreen = screen(async () => (await import("../features/desk/MineScreen")).MineScreen);

/** How long after the app mounts the other screens' code is fetched: after the start-up
 * answers have rendered, so it does not compete with them for the web process's main thread. */
export const PRELOAD_AFTER_MS = 2000;

let preloaded = false;

/** Fetches and runs every screen's chunk once (later calls do nothing). A chunk that fails to
 * load is left to the screen's own first use, which shows the error. */
export function preloadScreens(): void {
  if (preloaded) return;
  preloaded = true;
  for (const load of loaders) void load().catch(() => undefined);
}
