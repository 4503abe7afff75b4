import { bootstrapService } from '@vigil/service-kit';
import { EnricherModule } from './enricher.module';

void bootstrapService('enricher', EnricherModule);
