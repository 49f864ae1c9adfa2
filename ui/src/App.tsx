// The application: routes to screens inside the shell, keeps the case-list state across
// navigation, and keeps queries fresh from `pd://changed`. The case list is in the first chunk;
// the other screens load on first use (`app/screens.ts`) behind a boundary that keeps the shell.
import { Suspense, useEffect, useLayoutEffect, useState } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { parseRoute, useRoute } from "./lib/router";
import { useChangedEvents } from "./app/changes";
import { initialCaseListState, type CaseListState } from "./features/cases/caseListState";
import { Shell } from "./components/Shell";
import { CasesScreen } from "./features/cases/CasesScreen";
import { prefetchCaseList } from "./features/cases/hooks";
import { TransfersScreen } from "./features/documents/TransfersScreen";
import {
  CaseDetailScreen,
  ExceptionsScreen,
  FoldersScreen,
  MineScreen,
  OutboxScreen,
  PartnerScreen,
  PartnersScreen,
  PRELOAD_AFTER_MS,
  RetentionScreen,
  SettingsScreen,
  preloadScreens,
} from "./app/screens";
import { ScreenBoundary } from "./components/ScreenBoundary";
import { SkeletonRows } from "./components/bits";
import { CommandPalette } from "./features/desk/CommandPalette";
import { useOpenRequests } from "./features/desk/hooks";
import { applyTheme } from "./features/desk/theme";

/** A query client tuned for a local cache: data is fresh until an event says otherwise. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        gcTime: 5 * 60_000,
        retry: 1,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: 0 },
    },
  });
}

/** Asks, before the first render, for what the screen the window opens on shows first (the case
 * list's first window and counts), so the app answers while the page renders. */
export function askStartQueries(client: QueryClient): void {
  if (parseRoute(window.location.hash).name === "cases") prefetchCaseList(client, initialCaseListState);
}

applyTheme();

function Routes() {
  useChangedEvents();
  useOpenRequests();
  const route = useRoute();
  const [caseList, setCaseList] = useState<CaseListState>(initialCaseListState);
  useLayoutEffect(() => {
    // The app benchmark's cold-start split: the first render is in the page (before its paint),
    // then the frame after it.
    performance.mark?.("pd:first-commit");
    requestAnimationFrame(() => performance.mark?.("pd:first-frame"));
  }, []);
  useEffect(() => {
    const timer = window.setTimeout(preloadScreens, PRELOAD_AFTER_MS);
    return () => window.clearTimeout(timer);
  }, []);
  let screen;
  switch (route.name) {
    case "case":
      screen = <CaseDetailScreen key={route.id} id={route.id} />;
      break;
    case "exceptions":
      screen = <ExceptionsScreen />;
      break;
    case "partners":
      screen = <PartnersScreen />;
      break;
    case "partner":
      screen = <PartnerScreen key={route.id} id={route.id} />;
      break;
    case "outbox":
      screen = <OutboxScreen />;
      break;
    case "retention":
      screen = <RetentionScreen />;
      break;
    case "folders":
      screen = <FoldersScreen />;
      break;
    case "settings":
      screen = <SettingsScreen />;
      break;
    case "transfers":
      screen = <TransfersScreen />;
      break;
    case "mine":
      screen = <MineScreen />;
      break;
    default:
      screen = <CasesScreen state={caseList} onChange={setCaseList} />;
  }
  return (
    <Shell route={route}>
      <ScreenBoundary resetKey={route.name === "case" || route.name === "partner" ? `${route.name}/${route.id}` : route.name}>
        <Suspense fallback={<SkeletonRows />}>{screen}</Suspense>
      </ScreenBoundary>
      <CommandPalette route={route} />
    </Shell>
  );
}

/** The root component. */
export function App({ client }: { client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <Routes />
    </QueryClientProvider>
  );
}
