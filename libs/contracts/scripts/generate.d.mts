/** Types of generate.mjs for the up-to-date test. */
export declare const REPO: string;
export declare const PROTO_DIR: string;
export declare const OUT_DIR: string;
export declare class GenerateError extends Error {}
export declare function protoFiles(protoDir?: string, tree?: string): string[];
export declare function generate(protoDir?: string): Promise<Record<string, string>>;
