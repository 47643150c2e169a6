// The mail transport with its file-system failures told to a listener: the outbox writes to
// DATA_DIR, so a full or read-only disk fails it as it fails the store, and linkid should learn
// that from whichever notices first. The error passes on unchanged; the send queue keeps the
// message queued and tries it again (a failure that is not MailDeliveryError 'permanent' is a retry).
import { fileFailureKind, type StoreFailureKind } from '../kernel/store-failure.js';
import type { MailTransport } from './mail-transport.js';

export function watchTransport(transport: MailTransport, onFailure: (kind: StoreFailureKind, error: unknown) => void): MailTransport {
  const tell = (error: unknown): never => {
    const kind = fileFailureKind(error);
    if (kind) onFailure(kind, error);
    throw error;
  };
  return {
    ...transport,
    deliver: (message) => transport.deliver(message).catch(tell),
  };
}
