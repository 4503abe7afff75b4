import { bootstrapService } from '@vigil/service-kit';
import { ExporterModule } from './exporter.module';

void bootstrapService('exporter', ExporterModule);
