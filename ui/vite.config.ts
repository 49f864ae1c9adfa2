// The production build: one entry (index.html), relative asset paths so the files load from the
// Tauri custom protocol, nothing fetched from outside. The mock preview has its own config.
// The dev server's address is fixed (strictPort): `tauri dev` loads it from tauri.dev.conf.json.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  base: "./",
  plugins: [react()],
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: "127.0.0.1" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    // Room for the 5 s waits of src/test/setup.ts on a loaded 2-core machine.
    testTimeout: 15000,
  },
});
