/**
 * One readable line per event for terminals, like `tetra getevents -o compact`
 * (cilium/tetragon pkg/encoder: encoder.go eventToString, color.go):
 *   🚀 process <source> <binary> <arguments>
 *   💥 exit    <source> <binary> <arguments> <signal, or status when no signal>
 * <source> is "<pod namespace>/<pod name>" when the process has a pod, else the node name.
 * The event word is padded to 7 columns ("%-7s") and, when the effective set holds
 * CAP_SYS_ADMIN, "🛑 CAP_SYS_ADMIN" is right-aligned to column 120. Colours are Tetragon's
 * (fatih/color): event blue, source green, binary magenta, arguments cyan, status red.
 * Differences: the caps trailer is only added when there is a capability to show (Tetragon's
 * coloured empty string always triggered the padding), and Tetragon's caps loop iterated
 * indices instead of values; this checks the names.
 */
import path from 'node:path';
import { eventProcesses } from './enrich/event-processes';
import type { KprobeArgument } from './hook-events';
import type { GetEventsResponse, Process } from './tetragon';

export interface CompactOptions {
  /** ANSI colours. Default false. */
  color?: boolean;
  /**
   * Append the process's lineage, nearest first: " ⇠ bash(412) ⇠ sshd(1)" from the event's parent
   * and ancestors (ancestors only when the collector fills them). Default false (tetra's line).
   */
  ancestry?: boolean;
}

const CAPS_PAD = 120;
const SGR = { red: 31, green: 32, blue: 34, magenta: 35, cyan: 36 } as const;
type Color = keyof typeof SGR;

/** The compact line for an event, or undefined for an event kind this formatter does not know. */
export function formatCompact(event: GetEventsResponse, options: CompactOptions = {}): string | undefined {
  return compactLine(event, options, options.ancestry ? lineage(event) : '');
}

/** " ⇠ bash(412) ⇠ sshd(1)": parent, then ancestors, nearest first; "" without a parent. */
function lineage(event: GetEventsResponse): string {
  const above = eventProcesses(event)
    .slice(1)
    .map((p) => `${path.basename(p.binary ?? '?')}(${p.pid ?? '?'})`);
  return above.length ? ` ⇠ ${above.join(' ⇠ ')}` : '';
}

function compactLine(event: GetEventsResponse, options: CompactOptions, lineage: string): string | undefined {
  const paint = (color: Color, text: string): string => (options.color ? `\x1b[${SGR[color]}m${text}\x1b[0m` : text);
  const head = (emoji: string, word: string): string => paint('blue', `${emoji} ${word.padEnd(7)}`);
  const info = (p: Process): string => {
    const source = p.pod ? `${p.pod.namespace ?? ''}/${p.pod.name ?? ''}` : (event.node_name ?? '');
    return `${paint('green', source)} ${paint('magenta', p.binary ?? '')}`;
  };

  if (event.process_exec?.process) {
    const p = event.process_exec.process;
    const line = `${head('🚀', 'process')} ${info(p)} ${paint('cyan', p.arguments ?? '')}`;
    return withCaps(`${line}${lineage}`, capsTrailer(p), paint);
  }
  if (event.process_exit?.process) {
    const exit = event.process_exit;
    const p = exit.process as Process;
    const status = exit.signal ? exit.signal : String(exit.status ?? 0);
    const line = `${head('💥', 'exit')} ${info(p)} ${paint('cyan', p.arguments ?? '')} ${paint('red', status)}`;
    return withCaps(`${line}${lineage}`, capsTrailer(p), paint);
  }
  if (event.process_loader?.process)
    return `${head('📚', 'loader')} ${info(event.process_loader.process)} ${paint('cyan', event.process_loader.path ?? '')}${lineage}`;
  const hook = event.process_kprobe ?? event.process_lsm ?? event.process_tracepoint ?? event.process_uprobe;
  if (hook?.process) {
    // Tetragon prints kprobes per function ("📚 read" ...); one generic line covers every hook:
    //   🔧 <kind> <source> <binary> <function> <args> [action]
    const what = event.process_tracepoint
      ? `${event.process_tracepoint.subsys}/${event.process_tracepoint.event}`
      : event.process_uprobe
        ? `${event.process_uprobe.path}:${event.process_uprobe.symbol ?? event.process_uprobe.offset}`
        : (event.process_kprobe ?? event.process_lsm)!.function_name;
    const args = (hook.args ?? [])
      .map(argText)
      .filter((a) => a !== '')
      .join(' ');
    const action =
      hook.action && hook.action !== 'KPROBE_ACTION_POST'
        ? ` ${paint('red', hook.action.replace('KPROBE_ACTION_', ''))}`
        : '';
    const kind = event.process_lsm
      ? 'lsm'
      : event.process_tracepoint
        ? 'tracepoint'
        : event.process_uprobe
          ? 'uprobe'
          : 'kprobe';
    return `${head('🔧', kind)} ${info(hook.process)} ${what ?? ''} ${paint('cyan', args)}${action}${lineage}`;
  }
  return undefined;
}

function argText(a: KprobeArgument): string {
  const v =
    a.file_arg?.path ??
    a.path_arg?.path ??
    a.linux_binprm_arg?.path ??
    a.string_arg ??
    a.int_arg ??
    a.long_arg ??
    a.size_arg ??
    a.uint_arg;
  return v === undefined ? '' : String(v);
}

function capsTrailer(p: Process): string {
  return p.cap?.effective?.includes('CAP_SYS_ADMIN') ? '🛑 CAP_SYS_ADMIN' : '';
}

function withCaps(line: string, caps: string, paint: (c: Color, t: string) => string): string {
  if (!caps) return line;
  // Go's "%s %*s": the width is 120 minus the line's byte length, and the (coloured) trailer
  // is right-aligned in it counting code points, escape codes included.
  const width = Math.max(0, CAPS_PAD - Buffer.byteLength(line));
  const trailer = paint('magenta', caps);
  return `${line} ${' '.repeat(Math.max(0, width - [...trailer].length))}${trailer}`;
}
