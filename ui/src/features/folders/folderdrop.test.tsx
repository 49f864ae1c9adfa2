// Adding a drop folder by dropping it on the Folders view, and an SFTP folder through the form:
// a hint shows while something is dragged over the window; a dropped folder opens the form with
// its name, and saving sends the drop id (never a path) with the settings; a refusal is shown in
// words; an SFTP folder names one of the SFTP connectors (host key and secret are the connector's).
import { describe, expect, it } from "vitest";
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { emit } from "@tauri-apps/api/event";
import type { ConnectorView, DragPayload, FolderSettings, FolderView } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";

const SFTP: ConnectorView = {
  id: "c-sftp",
  name: "Carrier inbox",
  settings: { kind: "sftp", host: "sftp.tidewater.example", port: 2222, user: "pd", auth: { kind: "password" }, remote_dir: "/out" },
  secretSet: true,
};

function view(input: FolderSettings): FolderView {
  return { settings: { ...input, id: "f9" }, state: "starting", reason: null, taken: 0, duplicates: 0, failed: 0, waiting: 0, lastFile: null, lastAt: null };
}

function setup(refuse = false) {
  const backend = createMockBackend({ now: Date.now() });
  const fromDrop: { dropId: string; input: FolderSettings }[] = [];
  const saved: FolderSettings[] = [];
  const rendered = renderApp((cmd, args) => {
    switch (cmd) {
      case "list_folders":
        return [];
      case "folder_ledger":
        return [];
      case "list_connectors":
        return [SFTP];
      case "discard_drop":
        return null;
      case "add_folder_from_drop":
        if (refuse) throw { code: "input.invalid", message: "loose.pdf is a file, not a folder: drop the folder it is in to watch it, or drop the file on a case to attach it." };
        fromDrop.push(args as { dropId: string; input: FolderSettings });
        return view((args as { input: FolderSettings }).input);
      case "save_folder":
        saved.push(args.input as FolderSettings);
        return view(args.input as FolderSettings);
      default:
        return backend.handle(cmd, args);
    }
  }, "#/folders");
  return { fromDrop, saved, ...rendered };
}

const DROP: DragPayload = {
  phase: "drop",
  x: 300,
  y: 300,
  count: 1,
  dropped: {
    id: "drop-1-abc",
    files: [
      { name: "pod-1.pdf", size: 10, folder: "carrier-pods" },
      { name: "pod-2.pdf", size: 10, folder: "carrier-pods" },
    ],
    totalSize: 20,
    folders: 1,
    needsConfirmation: false,
    skipped: [],
  },
  error: null,
};

async function choosePartner() {
  const partner = screen.getByTestId("folder-partner") as HTMLSelectElement;
  await waitFor(() => expect(partner.options.length).toBeGreaterThan(1));
  fireEvent.change(partner, { target: { value: partner.options[1].value } });
  return partner.options[1].value;
}

describe("adding folders by drop and over SFTP", () => {
  it("shows a hint while dragging and adds a dropped folder by its drop id", async () => {
    const { fromDrop } = setup();
    await screen.findByText("No drop folders yet");
    await act(async () => {
      await emit("pd://drag", { ...DROP, phase: "enter", dropped: null });
    });
    expect(await screen.findByTestId("folder-drop-hint")).toHaveTextContent("Drop a folder here to watch it");
    await act(async () => {
      await emit("pd://drag", DROP);
    });
    await waitFor(() => expect(screen.queryByTestId("folder-drop-hint")).not.toBeInTheDocument());
    expect(await screen.findByTestId("folder-dropped")).toHaveTextContent("carrier-pods, 2 files in it now");
    expect(screen.getByTestId("folder-name")).toHaveValue("carrier-pods");
    expect(screen.queryByTestId("folder-path")).not.toBeInTheDocument();
    const partner = await choosePartner();
    act(() => screen.getByTestId("folder-save").click());
    await waitFor(() => expect(fromDrop).toHaveLength(1));
    expect(fromDrop[0].dropId).toBe("drop-1-abc");
    expect(fromDrop[0].input).toMatchObject({ name: "carrier-pods", partnerId: partner, source: { type: "local", path: "" } });
    await waitFor(() => expect(screen.queryByTestId("folder-form")).not.toBeInTheDocument());
  });

  it("says in words why a drop is refused and keeps the form", async () => {
    setup(true);
    await screen.findByText("No drop folders yet");
    await act(async () => {
      await emit("pd://drag", DROP);
    });
    await screen.findByTestId("folder-dropped");
    await choosePartner();
    act(() => screen.getByTestId("folder-save").click());
    expect(await screen.findByTestId("folder-form-error")).toHaveTextContent("is a file, not a folder");
    expect(screen.getByTestId("folder-form")).toBeInTheDocument();
  });

  it("adds an SFTP folder on one of the SFTP connectors", async () => {
    const { saved } = setup();
    act(() => screen.getByTestId("folders-add").click());
    fireEvent.change(screen.getByTestId("folder-name"), { target: { value: "Carrier PODs" } });
    fireEvent.change(screen.getByTestId("folder-source"), { target: { value: "sftp" } });
    const connector = (await screen.findByTestId("folder-connector")) as HTMLSelectElement;
    await waitFor(() => expect(connector.options.length).toBe(2));
    expect(connector.options[1].textContent).toBe("Carrier inbox (pd@sftp.tidewater.example:2222, host key not yet accepted)");
    fireEvent.change(connector, { target: { value: "c-sftp" } });
    fireEvent.change(screen.getByTestId("folder-remote-dir"), { target: { value: "/out/pods" } });
    fireEvent.change(screen.getByTestId("folder-poll"), { target: { value: "60" } });
    fireEvent.change(screen.getByTestId("folder-failed-dir"), { target: { value: "rejected" } });
    await choosePartner();
    act(() => screen.getByTestId("folder-save").click());
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toMatchObject({
      name: "Carrier PODs",
      source: { type: "sftp", connector_id: "c-sftp", remote_dir: "/out/pods", processed_dir: "processed", failed_dir: "rejected" },
      pollSeconds: 60,
    });
  });
});
