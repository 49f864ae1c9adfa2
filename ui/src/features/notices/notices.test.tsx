// The notices about the analyst's files: what a damaged cache gave back and what it did not, a
// cache and a settings file from a newer PartnerDesk left untouched; each stays until dismissed.
import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Notice } from "../../bindings";
import { renderApp } from "../../test/render";
import { createMockBackend } from "../../mock/backend";

const RECOVERED: Notice = {
  kind: "cacheRecovered",
  id: "n-1",
  setAside: "/home/ana/.local/share/partnerdesk/cache.db.corrupt-1764500000",
  reason: "file is truncated: 40960 bytes, its header says 90 pages of 4096",
  salvage: {
    changes: 7,
    refusedChanges: 1,
    localCases: 2,
    localComments: 4,
    unreadableChanges: 3,
    queueUnreadable: false,
  },
};

const NEWER: Notice[] = [
  {
    kind: "settingsFromNewerVersion",
    id: "n-2",
    path: "/home/ana/.config/partnerdesk/settings.json",
    found: 9,
    supported: 1,
  },
  {
    kind: "cacheFromNewerVersion",
    id: "n-3",
    path: "/home/ana/.local/share/partnerdesk/cache.db",
    found: 42,
    supported: 6,
  },
];

function setup(notices: Notice[]) {
  const backend = createMockBackend({ notices });
  renderApp((cmd, args) => backend.handle(cmd, args), "#/cases");
  return backend;
}

describe("notices", () => {
  it("says what a damaged cache gave back and what it did not", async () => {
    setup([RECOVERED]);
    const notice = await screen.findByTestId("notice");
    expect(notice).toHaveTextContent("The local cache was damaged and has been rebuilt.");
    expect(notice).toHaveTextContent(
      "Saved from it: 7 unsent changes (1 refused earlier, still in the Outbox), 2 cases you created, 4 comments you wrote.",
    );
    expect(notice).toHaveTextContent("Up to 3 queued changes could not be read and are lost");
    expect(notice).toHaveTextContent("cache.db.corrupt-1764500000");
  });

  it("says a file from a newer version was left untouched, and what that means", async () => {
    setup(NEWER);
    const notices = await screen.findAllByTestId("notice");
    expect(notices).toHaveLength(2);
    expect(notices[0]).toHaveTextContent("Your settings are from a newer version of PartnerDesk.");
    expect(notices[0]).toHaveTextContent("left untouched at /home/ana/.config/partnerdesk/settings.json");
    expect(notices[1]).toHaveTextContent("cache version 42; this version reads up to 6");
    expect(notices[1]).toHaveTextContent("nothing syncs and no changes can be made here");
  });

  it("stays until dismissed with the keyboard, then is gone", async () => {
    setup([RECOVERED, ...NEWER]);
    const user = userEvent.setup();
    const first = (await screen.findAllByTestId("notice"))[0];
    within(first).getByTestId("notice-dismiss").focus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getAllByTestId("notice")).toHaveLength(2));
    expect(screen.queryByText("The local cache was damaged and has been rebuilt.")).toBeNull();
  });

  it("shows nothing when there is nothing to say", async () => {
    setup([]);
    await screen.findByTestId("status-bar");
    expect(screen.queryByTestId("notices")).toBeNull();
  });
});
