export { CollectorModule } from './collector.module';
export { type CollectorModuleOptions } from './collector.options';
export { CollectorBus, type CollectorBusStatus } from './collector-bus';
export { ContainerTagger, type ContainerTaggerStats } from './container-tagger';
export { NodePolicySync, type NodePolicySyncStatus } from './node-policy-sync';
export { nodeLabelsField, parseNodeLabels } from './node-labels';
export { collectorSchema } from './collector.config';
export { ProcessPipelineProvider } from './process-pipeline.provider';
export { ProcessPipeline, eventKey, type ProcessPipelineStats } from './process-pipeline';
