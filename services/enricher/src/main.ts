import { KafkaBus } from '@vigil/bus';
import { ConfigError, loadConfig } from '@vigil/config';
import { bootstrapService } from '@vigil/service-kit';
import { enricherSchema } from './enricher.config';
import { EnricherModule } from './enricher.module';

/** The standalone enricher is a fleet service: it meets the collectors on Kafka. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(enricherSchema);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`vigil enricher: ${err.message}`);
    process.exit(2);
  }
  const bus = new KafkaBus({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-enricher`,
    spoolDir: config.enricher.spoolDir,
  });
  await bus.start();
  // The enricher closes the bus after publishing its held events at shutdown.
  await bootstrapService('enricher', EnricherModule.register({ bus, ownsBus: true }));
}

void main();
