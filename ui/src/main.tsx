// Production entry: mounts the app. Talks to Rust only through `lib/ipc.ts`.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, askStartQueries, createQueryClient } from "./App";
import "./styles.css";

// The bundle has run (every module evaluated): the app benchmark's cold-start split.
performance.mark?.("pd:bundle-ran");

const root = document.getElementById("root");
if (root) {
  const client = createQueryClient();
  askStartQueries(client);
  createRoot(root).render(
    <StrictMode>
      <App client={client} />
    </StrictMode>,
  );
}
