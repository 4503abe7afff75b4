/**
 * Kafka's answers that blame the records themselves: sending them again can never work, so the
 * bus isolates the offending record and drops it (counted) instead of spooling it forever.
 * Every other failure — connection, timeout, leadership, producer sequence trouble — is treated
 * as the broker being unavailable: the records go to the spool and the bus reconnects.
 */
const RECORD_REJECTIONS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'POLICY_VIOLATION',
]);

interface KafkaJsErrorShape {
  name?: string;
  type?: string;
  message?: string;
  originalError?: unknown;
  cause?: unknown;
}

/** The innermost error: kafkajs wraps the broker's answer in retry errors. */
export function rootError(error: unknown): KafkaJsErrorShape {
  let current = error as KafkaJsErrorShape;
  for (let depth = 0; depth < 8; depth++) {
    const inner = current.originalError ?? current.cause;
    if (!inner || typeof inner !== 'object') break;
    current = inner as KafkaJsErrorShape;
  }
  return current;
}

export function isRecordRejection(error: unknown): boolean {
  const root = rootError(error);
  return root.type !== undefined && RECORD_REJECTIONS.has(root.type);
}

export function describeError(error: unknown): string {
  const root = rootError(error);
  const outer = error as KafkaJsErrorShape;
  const rootText = `${root.name ?? 'Error'}: ${root.message ?? String(error)}`;
  return outer === root ? rootText : `${outer.name ?? 'Error'}: ${outer.message ?? ''} (caused by ${rootText})`;
}
