export { CollectorModule, type CollectorModuleOptions } from './collector.module';
export { collectorSchema } from './collector.config';
export { ProcessPipelineProvider } from './process-pipeline.provider';
export { ProcessPipeline, eventKey, type ProcessPipelineStats } from './process-pipeline';
