import { render, screen } from "@testing-library/react";
import { vi } from "vitest";
import { ScreenBoundary } from "./ScreenBoundary";

function Broken(): never {
  throw new Error("Failed to fetch dynamically imported module: FoldersScreen.js");
}

describe("a screen that fails to open", () => {
  it("says so in place of the screen, and the next route renders again", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { rerender } = render(
      <ScreenBoundary resetKey="folders">
        <Broken />
      </ScreenBoundary>,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("This screen could not be opened");
    expect(screen.getByRole("alert")).toHaveTextContent("FoldersScreen.js");
    rerender(
      <ScreenBoundary resetKey="cases">
        <p>The case list</p>
      </ScreenBoundary>,
    );
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByText("The case list")).toBeInTheDocument();
    quiet.mockRestore();
  });
});
