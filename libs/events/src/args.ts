/**
 * Process.arguments: argv[1..] joined by single spaces, an argument containing a space wrapped
 * in double quotes (cilium/tetragon pkg/process ArgsDecoder). Tetragon does not escape quotes
 * inside arguments, so this is for display and matching, not a reversible encoding.
 */
export function formatArguments(args: readonly string[]): string {
  return args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ');
}
