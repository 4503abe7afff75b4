import { PolicyRecordCodec, PolicyStatusCodec } from '../generated';
import type { MessageCodec } from './codec';
import { ContractError } from './errors';

/**
 * The same shape as @vigil/bus's Codec (structural, so contracts do not depend on the bus):
 * pass `contractsCodec` as KafkaBusOptions.codec.
 */
export interface TopicCodec {
  encode(value: unknown, topic: string): Buffer;
  decode(bytes: Buffer, topic: string): unknown;
}

/** Which contract each topic carries as binary protobuf. Topics not listed here stay JSON. */
export const TOPIC_CONTRACTS: Readonly<Record<string, MessageCodec<unknown>>> = {
  'vigil.policies': PolicyRecordCodec as MessageCodec<unknown>,
  'vigil.policy-status': PolicyStatusCodec as MessageCodec<unknown>,
};

/**
 * Protobuf on the topics of TOPIC_CONTRACTS, JSON elsewhere. A tombstone (null: the key is
 * deleted) does not come through here on KafkaBus: the bus sends it as a Kafka record with a null
 * value and hands such a record on as null without decoding. On the protobuf topics encode(null)
 * still gives zero bytes, and zero bytes decode to null — how tombstones were written before the
 * bus sent real ones, so those records still read as deletes. No message of these contracts is
 * valid empty, since each names its key (id, node and policy id).
 */
export function topicCodec(contracts: Readonly<Record<string, MessageCodec<unknown>>> = TOPIC_CONTRACTS): TopicCodec {
  return {
    encode(value, topic) {
      const contract = contracts[topic];
      if (!contract) {
        const text = JSON.stringify(value);
        if (text === undefined) throw new TypeError(`cannot encode ${typeof value} as JSON`);
        return Buffer.from(text);
      }
      if (value === null) return Buffer.alloc(0);
      return contract.encode(value);
    },
    decode(bytes, topic) {
      const contract = contracts[topic];
      if (!contract) return JSON.parse(bytes.toString('utf8')) as unknown;
      if (bytes.length === 0) return null;
      try {
        return contract.decode(bytes);
      } catch (e) {
        if (e instanceof ContractError) throw new ContractError(e.typeName, e.problems, `on ${topic}`);
        throw e;
      }
    },
  };
}

export const contractsCodec: TopicCodec = topicCodec();
