/**
 * How values become Kafka message bytes and back. The topic is passed so one codec can choose a
 * wire format per topic (protobuf contracts from proto/ will plug in here).
 * decode() throws on bytes it cannot read: the consumer then dead-letters that message.
 */
export interface Codec {
  encode(value: unknown, topic: string): Buffer;
  decode(bytes: Buffer, topic: string): unknown;
}

/** The default: UTF-8 JSON. */
export const jsonCodec: Codec = {
  encode(value) {
    const text = JSON.stringify(value);
    // JSON.stringify(undefined) is undefined, not a string: refuse rather than send "undefined".
    if (text === undefined) throw new TypeError(`cannot encode ${typeof value} as JSON`);
    return Buffer.from(text);
  },
  decode(bytes) {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  },
};
