// The IPC layer: argument names match the contract, errors always come out as {code, message}.
import { describe, expect, it } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import { IpcError, api, toIpcError } from "../lib/ipc";
import { emptyCaseQuery, initialCaseListState, loadSavedViews, storeSavedViews } from "../features/cases/caseListState";
import { rootsForTopics } from "../app/changes";

describe("ipc", () => {
  it("sends the argument names of the contract", async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return cmd === "create_case_from_exception" ? "case-9" : null;
    });
    await api.listCases(emptyCaseQuery());
    await api.getCase("c1");
    await api.listPartners(null);
    await expect(api.createCaseFromException("TX1")).resolves.toBe("case-9");
    await api.addComment("c1", "hi", "internal");
    await api.updateCase("c1", { owner: null });
    expect(seen).toEqual([
      ["list_cases", { query: emptyCaseQuery() }],
      ["get_case", { id: "c1" }],
      ["list_partners", { search: null }],
      ["create_case_from_exception", { transactionId: "TX1" }],
      ["add_comment", { caseId: "c1", body: "hi", visibility: "internal" }],
      ["update_case", { caseId: "c1", patch: { owner: null } }],
    ]);
  });

  it("turns a command's {code, message} rejection into an IpcError", async () => {
    mockIPC(() => {
      throw { code: "net.offline", message: "You are offline." };
    });
    const error = await api.syncNow().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcError);
    expect(error).toMatchObject({ code: "net.offline", message: "You are offline." });
  });

  it("gives odd rejections a code and a readable message", () => {
    expect(toIpcError("Command list_casez not found")).toMatchObject({ code: "ipc.failed", message: "Command list_casez not found" });
    expect(toIpcError(undefined).message).toMatch(/did not answer/);
    expect(toIpcError({ code: 7 })).toMatchObject({ code: "ipc.failed" });
  });

  it("maps change topics to the queries they make stale", () => {
    expect(rootsForTopics(["outbox"]).sort()).toEqual(["cases", "outbox", "sync"]);
    expect(rootsForTopics(["exceptions", "bogus"]).sort()).toEqual(["exceptions", "partners"]);
    expect(rootsForTopics([])).toEqual([]);
  });

  it("saved views survive a reload and a corrupt store is ignored", () => {
    expect(storeSavedViews([{ name: "My breached", state: { ...initialCaseListState, slaBreached: true } }])).toBe(true);
    expect(loadSavedViews()).toEqual([{ name: "My breached", state: { ...initialCaseListState, slaBreached: true } }]);
    window.localStorage.setItem("partnerdesk.savedViews.v1", "{not json");
    expect(loadSavedViews()).toEqual([]);
    window.localStorage.setItem("partnerdesk.savedViews.v1", JSON.stringify([{ name: 3 }, null, { name: "ok", state: {} }]));
    expect(loadSavedViews()).toEqual([{ name: "ok", state: initialCaseListState }]);
  });
});
