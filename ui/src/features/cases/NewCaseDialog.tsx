// "New case": a case typed by the analyst (not opened from an exception). `create_case` writes it
// to the cache and the outbox at once, so it opens immediately, online or not. Opened by a drop
// onto "New case", it lists the dropped files, and creating the case attaches them.
import { useMemo, useState } from "react";
import type { CaseKind, DropView, Priority } from "../../bindings";
import { KINDS, KIND_LABELS, PRIORITIES, PRIORITY_LABELS, fileSize } from "../../lib/format";
import { navigate } from "../../lib/router";
import { Dialog } from "../../components/Dialog";
import { Actions, FieldNote, Options, Select, SelectField, TextField } from "../../components/form";
import { usePartners } from "../partners/hooks";
import { PartnerOptions } from "../partners/PartnerOptions";
import { UserOptions } from "../partners/UserOptions";
import { useCreateCase } from "./hooks";
import { InertText } from "../../components/InertText";
import { useAttachDrop } from "../documents/hooks";
import { clearPending } from "../documents/dropFlow";

/** Props of `NewCaseDialog`. */
export interface NewCaseDialogProps {
  onClose: () => void;
  partnerId?: string | null;
  /** Files dropped onto "New case": listed, and attached once the case exists. */
  drop?: DropView;
  /** After the case (and its files) were created; default: open the case. */
  onCreated?: (caseId: string) => void;
}

/** See the module comment. */
export function NewCaseDialog({ onClose, partnerId, drop, onCreated }: NewCaseDialogProps) {
  const partners = usePartners(null);
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

  const attach = useAttachDrop();
  const opened = (id: string) => {
    if (onCreated) onCreated(id);
    else {
      onClose();
      navigate({ name: "case", id });
    }
  };
  const create = useCreateCase({
    onSuccess: (id) => {
      if (!drop) return opened(id);
      // The attach ends the flow (and so this dialog): its promise, not the mutation's callbacks.
      attach.mutateAsync({ dropId: drop.id, caseId: id, confirmed: true }).then(
        () => opened(id),
        (error: Error) => {
          opened(id);
          clearPending({ tone: "error", text: `The case was created, but its files were not attached: ${error.message}`, caseId: id });
        },
      );
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
        <Actions
          error={create.error?.message}
          onCancel={onClose}
          primary={{
            label: drop ? `Create case with ${drop.files.length} file${drop.files.length === 1 ? "" : "s"}` : "Create case",
            type: "submit",
            form: "new-case-form",
            busy: create.isPending || attach.isPending,
            busyLabel: "Creating",
            testId: "new-case-submit",
          }}
        />
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
        <TextField
          id="new-case-title"
          label="Title"
          value={title}
          maxLength={300}
          onChange={setTitle}
          placeholder="Short shipment on PO 4500012345"
          error={touched && errors.title}
          autoFocus
        />

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
            <Select id="new-case-partner" value={partner} onChange={setPartner} invalid={touched && !!errors.partner}>
              <option value="">{partners.isPending ? "Loading partners…" : "Choose a partner"}</option>
              <PartnerOptions rows={partnerOptions} />
            </Select>
          </div>
          <FieldNote error={touched && errors.partner} />
        </div>

        <SelectField<CaseKind> id="new-case-kind" label="Kind" value={kind} onChange={setKind}>
          <Options values={KINDS} labels={KIND_LABELS} />
        </SelectField>
        <SelectField<Priority> id="new-case-priority" label="Priority" value={priority} onChange={setPriority}>
          <Options values={PRIORITIES} labels={PRIORITY_LABELS} />
        </SelectField>
        <SelectField id="new-case-owner" label="Owner" value={owner} onChange={setOwner}>
          <option value="">Unassigned</option>
          <UserOptions />
        </SelectField>

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

        {drop && (
          <>
            <span className="form-label">Files</span>
            <div className="form-field">
              <ul className="drop-files drop-files-dialog" data-testid="new-case-files">
                {drop.files.map((f, i) => (
                  <li key={`${f.folder}/${f.name}/${i}`} className="drop-file" data-testid="new-case-file">
                    <span className="truncate">
                      {f.folder && <span className="muted">{f.folder}/</span>}
                      <InertText text={f.name} />
                    </span>
                    <span className="muted small">{fileSize(f.size)}</span>
                  </li>
                ))}
              </ul>
              {drop.skipped.map((s) => (
                <span key={s} className="small status-warning">
                  {s}
                </span>
              ))}
              <span className="muted small">Attached to the case when you create it; each file uploads in Transfers.</span>
            </div>
          </>
        )}
      </form>
    </Dialog>
  );
}
