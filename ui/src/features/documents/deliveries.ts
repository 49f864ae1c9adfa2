// Deliveries of a case's documents to partners' SFTP inboxes (issue 11): where one can go (SFTP
// connectors with a partner inbox, from Settings → Connector work), a case's deliveries, and the
// command that queues one. Progress comes from the Transfers stream (`deliver:<id>`).
import { useQuery } from "@tanstack/react-query";
import type { DeliveryView, TransferView } from "../../bindings";
import { api } from "../../lib/ipc";
import { keys } from "../../app/queryKeys";
import { useTopicMutation } from "../../app/changes";

/** The Transfers view's id of a delivery. */
export function deliveryTransferId(deliveryId: string): string {
  return `deliver:${deliveryId}`;
}

/** Whether a transfer is a delivery to a partner inbox (not an upload of the case's files). */
export function isDeliveryTransfer(t: TransferView): boolean {
  return t.id.startsWith("deliver:");
}

/** SFTP connectors with a partner inbox. */
export function useDeliveryTargets(enabled = true) {
  return useQuery({
    queryKey: keys.deliveryTargets(),
    queryFn: () => api.deliveryTargets(),
    enabled,
  });
}

/** A case's deliveries, newest first. */
export function useCaseDeliveries(caseId: string) {
  return useQuery({
    queryKey: keys.caseDeliveries(caseId),
    queryFn: () => api.caseDeliveries(caseId),
  });
}

/** Queues a document for a partner inbox. */
export function useDeliverDocument() {
  return useTopicMutation({
    mutationFn: (v: { caseId: string; documentId: string; connectorId: string }) =>
      api.deliverDocument(v.caseId, v.documentId, v.connectorId),
    topics: ["documents"],
  });
}

/** `<inbox>/<name>` of a delivery (its document's name until the final one is chosen). */
export function remotePath(d: DeliveryView): string {
  const name = d.remoteName ?? d.documentName;
  return d.inbox.endsWith("/") ? `${d.inbox}${name}` : `${d.inbox}/${name}`;
}
