import { bootstrapService } from '@vigil/service-kit';
import { ExporterModule } from './exporter.module';

// Standalone (fleet) exporter: configuration from VIGIL_* and $VIGIL_CONFIG, a KafkaBus of its own.
void bootstrapService('exporter', ExporterModule.register());
