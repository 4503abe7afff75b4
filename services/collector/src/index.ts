export { CollectorModule } from './collector.module';
