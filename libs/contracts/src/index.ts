export * from './generated';
export { descriptor } from './generated/descriptor';
export { messageCodec, type MessageCodec } from './runtime/codec';
export { ContractError } from './runtime/errors';
export { contractsRoot } from './runtime/root';
export { contractsCodec, topicCodec, TOPIC_CONTRACTS, type TopicCodec } from './runtime/bus-codec';
export { tetragonRoot } from './runtime/tetragon-root';
export { tetragonDescriptor } from './generated/tetragon-descriptor';
