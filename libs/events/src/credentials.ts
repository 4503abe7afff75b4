/** Task credentials → Tetragon's ProcessCredentials message. */
import type { ProcessCredentials } from './tetragon';

/** Structurally the kernel contract's RawCredentials (auid is carried on Process, not here). */
export interface CredentialIds {
  uid: number;
  euid: number;
  suid: number;
  fsuid: number;
  gid: number;
  egid: number;
  sgid: number;
  fsgid: number;
}

/** Every id is a UInt32Value wrapper in Tetragon, so 0 (root) is printed, not omitted. Descriptor order. */
export function credentialsFrom(c: CredentialIds): ProcessCredentials {
  return {
    uid: c.uid,
    gid: c.gid,
    euid: c.euid,
    egid: c.egid,
    suid: c.suid,
    sgid: c.sgid,
    fsuid: c.fsuid,
    fsgid: c.fsgid,
  };
}

/** loginuid when the audit subsystem never set one (Tetragon prints it as is). */
export const INVALID_UID = 4294967295;
