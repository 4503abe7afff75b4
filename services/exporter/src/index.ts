export { ExporterModule } from './exporter.module';
