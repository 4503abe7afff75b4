/** A policy construct this compiler (or this kernel) cannot carry out: the hook is refused with this reason. */
export class Unsupported extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Unsupported';
  }
}
