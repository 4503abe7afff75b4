import { Root, type INamespace } from 'protobufjs';
import { descriptor } from '../generated/descriptor';

/** Every contract type, built once from the generated descriptor (no .proto parsing at run time). */
export const contractsRoot: Root = Root.fromJSON(descriptor as INamespace);
contractsRoot.resolveAll();
