export { PolicyEngineModule } from './policy-engine.module';
