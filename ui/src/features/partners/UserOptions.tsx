// The colleagues as `<option>`s of an owner select (value: login id), loaded once and shared.
import { useUsers } from "./hooks";

/** One option per colleague, "First Last". */
export function UserOptions() {
  const users = useUsers();
  return (
    <>
      {users.data?.map((u) => (
        <option key={u.loginId} value={u.loginId}>
          {u.firstName} {u.lastName}
        </option>
      ))}
    </>
  );
}
