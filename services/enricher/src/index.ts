export { EnricherModule } from './enricher.module';
