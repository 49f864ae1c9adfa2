// Dev-only preview: serves mock.html, which installs a mocked Tauri IPC answering as the real code did
// so the UI can be looked at without the Rust shell. Never part of the production build.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

export default defineConfig({
  base: "./",
  plugins: [react()],
  server: { port: 1421, host: "127.0.0.1", open: false },
  build: {
    outDir: "dist-mock",
    emptyOutDir: true,
    rollupOptions: { input: fileURLToPath(new URL("./mock.html", import.meta.url)) },
  },
});
