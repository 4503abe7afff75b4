import { KafkaBus } from '@vigil/bus';
import { ConfigError, loadConfig } from '@vigil/config';
import { contractsCodec } from '@vigil/contracts';
import { bootstrapService } from '@vigil/service-kit';
import { policyEngineSchema } from './policy-engine.config';
import { PolicyEngineModule } from './policy-engine.module';

/** Standalone (fleet) start: the policy engine on Kafka, protobuf contracts on the policy topics. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(policyEngineSchema);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`vigil policy-engine: ${err.message}`);
    process.exit(2);
  }
  const bus = new KafkaBus({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-policy-engine`,
    spoolDir: config.policyEngine.spoolDir,
    codec: contractsCodec,
  });
  await bus.start();
  // bootstrapService enables Nest's shutdown hooks; what the bus has not sent yet stays in its spool.
  await bootstrapService('policy-engine', PolicyEngineModule.register({ bus }));
}

void main();
