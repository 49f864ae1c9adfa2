// "New case": a case typed by the analyst (not opened from an exception). `create_case` writes it
// to the cache and the outbox at once, so it opens immediately, online or not.
import { useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { CaseKind, NewCaseInput, Priority } from "../bindings";
import { ipc } from "../lib/ipc";
import { keys } from "../lib/queries";
import { KINDS, KIND_LABELS, PRIORITIES, PRIORITY_LABELS } from "../lib/format";
import { navigate } from "../lib/router";
import { Dialog } from "./Dialog";
import { Spinner } from "./bits";

/** See the module comment. */
export function NewCaseDialog({ onClose, partnerId }: { onClose: () => void; partnerId?: string | null }) {
  const client = useQueryClient();
  const partners = useQuery({ queryKey: keys.partners(null), queryFn: () => ipc.listPartners(null) });
  const users = useQuery({ queryKey: keys.users(), queryFn: ipc.listUsers });
  const [title, setTitle] = useState("");
  const [partner, setPartner] = useState(partnerId ?? "");
  const [partnerFilter, setPartnerFilter] = useState("");
  const [kind, setKind] = useState<CaseKind>("shipment");
  const [priority, setPriority] = useState<Priority>("normal");
  const [owner, setOwner] = useState("");
  const [description, setDescription] = useState("");
  const [touched, setTouched] = useState(false);

  const partnerOptions = useMemo(() => {
    const needle = partnerFilter.trim().toLowerCase();
    const all = partners.data ?? [];
    return all.filter(
      (p) =>
        !needle ||
        p.partner.partnerCompanyName.toLowerCase().includes(needle) ||
        p.partner.partnerCompanyId.toLowerCase().includes(needle) ||
        p.partner.partnerCompanyId === partner,
    );
  }, [partners.data, partnerFilter, partner]);

  const errors = {
    title: title.trim() ? null : "Give the case a title.",
    partner: partner ? null : "Choose the partner this case is with.",
  };
  const valid = !errors.title && !errors.partner;

  const create = useMutation({
    mutationFn: (input: NewCaseInput) => ipc.createCase(input),
    onSuccess: (id) => {
      void client.invalidateQueries({ queryKey: ["cases"] });
      void client.invalidateQueries({ queryKey: ["sync"] });
      void client.invalidateQueries({ queryKey: ["outbox"] });
      onClose();
      navigate({ name: "case", id });
    },
  });

  const submit = () => {
    setTouched(true);
    if (!valid || create.isPending) return;
    create.mutate({
      title: title.trim(),
      partnerId: partner,
      kind,
      priority,
      owner: owner || null,
      description: description.trim() || null,
    });
  };

  return (
    <Dialog
      title="New case"
      onClose={onClose}
      testId="new-case-dialog"
      wide
      footer={
        <>
          {create.isError && (
            <span className="inline-error" role="alert">
              {create.error.message}
            </span>
          )}
          <span className="top-bar-spacer" />
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="new-case-form"
            className="btn btn-primary"
            disabled={create.isPending}
            data-testid="new-case-submit"
          >
            {create.isPending && <Spinner label="Creating" />}
            Create case
          </button>
        </>
      }
    >
      <form
        id="new-case-form"
        className="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label htmlFor="new-case-title">Title</label>
        <div className="form-field">
          <input
            id="new-case-title"
            className="input"
            value={title}
            maxLength={300}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="Short shipment on PO 4500012345"
            aria-invalid={touched && !!errors.title}
            data-testid="new-case-title"
            autoFocus
          />
          {touched && errors.title && <span className="field-error">{errors.title}</span>}
        </div>

        <label htmlFor="new-case-partner">Partner</label>
        <div className="form-field">
          <div className="picker">
            <input
              className="input"
              type="search"
              value={partnerFilter}
              onChange={(e) => setPartnerFilter(e.target.value)}
              placeholder="Filter partners"
              aria-label="Filter partners"
              data-testid="new-case-partner-filter"
            />
            <select
              id="new-case-partner"
              className="select"
              value={partner}
              onChange={(e) => setPartner(e.target.value)}
              aria-invalid={touched && !!errors.partner}
              data-testid="new-case-partner"
            >
              <option value="">{partners.isPending ? "Loading partners…" : "Choose a partner"}</option>
              {partnerOptions.map((p) => (
                <option key={p.partner.partnerCompanyId} value={p.partner.partnerCompanyId}>
                  {p.partner.partnerCompanyName}
                </option>
              ))}
            </select>
          </div>
          {touched && errors.partner && <span className="field-error">{errors.partner}</span>}
        </div>

        <label htmlFor="new-case-kind">Kind</label>
        <select
          id="new-case-kind"
          className="select"
          value={kind}
          onChange={(e) => setKind(e.target.value as CaseKind)}
          data-testid="new-case-kind"
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>

        <label htmlFor="new-case-priority">Priority</label>
        <select
          id="new-case-priority"
          className="select"
          value={priority}
          onChange={(e) => setPriority(e.target.value as Priority)}
          data-testid="new-case-priority"
        >
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABELS[p]}
            </option>
          ))}
        </select>

        <label htmlFor="new-case-owner">Owner</label>
        <select
          id="new-case-owner"
          className="select"
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          data-testid="new-case-owner"
        >
          <option value="">Unassigned</option>
          {users.data?.map((u) => (
            <option key={u.loginId} value={u.loginId}>
              {u.firstName} {u.lastName}
            </option>
          ))}
        </select>

        <label htmlFor="new-case-description">Description</label>
        <div className="form-field">
          <textarea
            id="new-case-description"
            className="textarea"
            rows={4}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="What happened, and what you need from the partner"
            data-testid="new-case-description"
          />
          <span className="muted small">Posted as the first comment; the partner will see it.</span>
        </div>
      </form>
    </Dialog>
  );
}
