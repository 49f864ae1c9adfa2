// Catches a screen that fails while it renders (its code chunk could not load, or a bug) so the
// shell, the navigation and the other screens stay usable, and says what happened.
import { Component, type ReactNode } from "react";
import { ErrorState } from "./bits";

type Props = { children: ReactNode; resetKey: string };
type State = { error: unknown; resetKey: string };

/** An error boundary around the routed screen, cleared when the route changes. */
export class ScreenBoundary extends Component<Props, State> {
  state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error ?? new Error("The screen failed to render.") };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.resetKey ? null : { error: null, resetKey: props.resetKey };
  }

  render() {
    if (this.state.error) {
      return (
        <ErrorState
          title="This screen could not be opened"
          error={this.state.error}
          onRetry={() => window.location.reload()}
        />
      );
    }
    return this.props.children;
  }
}
