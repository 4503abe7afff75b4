import { bootstrapService } from '@vigil/service-kit';
import { PolicyEngineModule } from './policy-engine.module';

void bootstrapService('policy-engine', PolicyEngineModule);
