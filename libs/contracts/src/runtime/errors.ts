/**
 * A value that does not fit its contract, or bytes that are not one: `problems` lists every field
 * at fault as "<field path>: <reason>", e.g. "node_selector.match_expressions[0].operator: expected
 * a string, got 3".
 */
export class ContractError extends Error {
  override name = 'ContractError';

  constructor(
    readonly typeName: string,
    readonly problems: string[],
    what: string,
  ) {
    super(`${typeName}: ${what}: ${problems.join('; ')}`);
  }
}
