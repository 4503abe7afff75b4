import { Root, type INamespace } from 'protobufjs';
import { tetragonDescriptor } from '../generated/tetragon-descriptor';

/**
 * Tetragon's API (package tetragon from proto/tetragon), built once from the generated descriptor:
 * the schema of the FineGuidanceSensors gRPC service Vigil serves and its clients call.
 */
export const tetragonRoot: Root = Root.fromJSON(tetragonDescriptor as INamespace);
tetragonRoot.resolveAll();
