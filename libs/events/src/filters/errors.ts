/**
 * An invalid filter in a GetEvents request (or a redaction filter list). The message starts with
 * where the problem is, in the request's own field names: `allow_list[1].binary_regex[0]: ...`.
 * A gRPC server maps it to INVALID_ARGUMENT.
 */
export class FilterError extends Error {
  override readonly name = 'FilterError';

  constructor(
    /** Where in the request, e.g. "allow_list[1].binary_regex[0]". */
    readonly path: string,
    /** What is wrong, without the path. */
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
