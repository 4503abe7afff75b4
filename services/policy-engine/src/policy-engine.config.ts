import { baseSchema, field } from '@vigil/config';

/** The policy engine's settings: the shared sections plus its own. */
export const policyEngineSchema = {
  ...baseSchema,
  policyEngine: {
    tokensFile: field.string({
      env: 'VIGIL_POLICY_ENGINE_TOKENS_FILE',
      default: '',
      doc: 'API tokens, JSON: {"tokens":[{"subject","token"|"sha256","admin":true|"namespaces":[...]}]}; empty: none',
    }),
    tokens: field.string({
      env: 'VIGIL_POLICY_ENGINE_TOKENS',
      default: '',
      doc: 'API tokens as JSON (same format as tokensFile), added to the file’s',
    }),
    maxBodyBytes: field.bytes({
      env: 'VIGIL_POLICY_ENGINE_MAX_BODY',
      default: 100 * 1024,
      min: 1024,
      doc: 'Largest YAML request body (JSON bodies: the HTTP layer’s 100 KiB limit)',
    }),
    grpcAddress: field.string({
      env: 'VIGIL_POLICY_ENGINE_GRPC_ADDRESS',
      default: '127.0.0.1:50051',
      doc: 'Where the gRPC API (vigil.v1.PolicyService: the REST operations, same tokens) is served: host:port or unix:///path; empty disables',
    }),
    replayQuietMs: field.int({
      env: 'VIGIL_POLICY_ENGINE_REPLAY_QUIET_MS',
      default: 500,
      min: 0,
      max: 60_000,
      doc: 'Start: ready once vigil.policies stayed quiet this long after the replay marker came back',
    }),
    spoolDir: field.string({
      env: 'VIGIL_POLICY_ENGINE_SPOOL_DIR',
      default: '/var/lib/vigil/policy-engine/spool',
      doc: 'KafkaBus spool directory when the service runs standalone (main.ts)',
    }),
  },
};
