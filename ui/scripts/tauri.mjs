// Runs the pinned Tauri CLI (`npm --prefix ui run tauri -- <command>`) from the repository root,
// where tauri.conf.json and the app's Cargo.toml live; from ui/ the CLI would not find the app.
//
// `tauri dev` also merges tauri.dev.conf.json (devUrl + beforeDevCommand: the Vite dev server with
// hot reload). Those keys stay out of tauri.conf.json because every plain `cargo run` / `cargo test`
// build is a Tauri "dev" build (no custom-protocol feature): with devUrl in the main config, the
// app started by .ci/start, the end-to-end tests and the benchmark would load the Vite URL instead
// of the embedded ui/dist.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import cli from "@tauri-apps/cli";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = process.argv.slice(2);
if (args[0] === "dev") {
  args.splice(1, 0, "--config", resolve(root, "tauri.dev.conf.json"));
}
process.chdir(root);
cli.run(args, "npm --prefix ui run tauri --").catch((error) => {
  cli.logError(error.message);
  process.exit(1);
});
