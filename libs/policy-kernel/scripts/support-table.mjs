// Writes docs/policy-support.md from reports/policy-support/*.json, the reports the kernel test
// test/kernel/examples.test.ts writes per kernel (on the host and in the kernel-matrix VMs).
//
//   npm run support-table -w @vigil/policy-kernel
//
// Plain Node, no dependencies. The output depends only on the reports (no dates), and its tables
// are laid out as Prettier lays them out, so `npm run format:check` passes on the result.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const REPORTS = path.join(ROOT, 'reports/policy-support');
const OUT = path.join(ROOT, 'docs/policy-support.md');
const REASON_MAX = 140;

// ---------------------------------------------------------------------------------------------
// Reports

function readReports() {
  if (!fs.existsSync(REPORTS))
    fail(`no ${path.relative(ROOT, REPORTS)}/ (run the kernel test first, see the header of docs/policy-support.md)`);
  const files = fs.readdirSync(REPORTS).filter((f) => f.endsWith('.json'));
  if (files.length === 0) fail(`no report in ${path.relative(ROOT, REPORTS)}/`);
  return files
    .map((f) => {
      const where = path.relative(ROOT, path.join(REPORTS, f));
      let r;
      try {
        r = JSON.parse(fs.readFileSync(path.join(REPORTS, f), 'utf8'));
      } catch (err) {
        fail(`${where}: ${err.message}`);
      }
      if (typeof r?.kernel !== 'string' || typeof r.release !== 'string' || !Array.isArray(r.rows))
        fail(`${where}: not a policy-support report ({kernel, release, loads, total, rows})`);
      for (const row of r.rows)
        if (typeof row?.file !== 'string' || typeof row.loads !== 'boolean' || typeof row.detail !== 'string')
          fail(`${where}: a row is not {file, loads, detail}`);
      return r;
    })
    .sort((a, b) => compareKernels(a.kernel, b.kernel));
}

/** "host" first, then versions ascending (6.1 < 6.12 < 6.12-nolsm), then any other name. */
function compareKernels(a, b) {
  const key = (k) => [
    k === 'host' ? 0 : /^\d/.test(k) ? 1 : 2,
    ...(k
      .match(/^[\d.]+/)?.[0]
      .split('.')
      .filter(Boolean)
      .map(Number) ?? []),
  ];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? -1) - (kb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(msg) {
  console.error(`support-table: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Cells

/**
 * A report's detail is the load error's reasons joined with "; "; a reason may itself contain
 * "; ", but each hook's reason starts with "spec.<hooks>[i] (".
 */
function reasons(detail) {
  return detail.split(/; (?=spec\.\w+\[\d+\] \()/);
}

/**
 * At most `max` characters: first the longest parenthesised details give way to "(…)" (so "f
 * cannot be hooked here (…) and has no syscall equivalent" keeps its point), then the tail.
 */
function shorten(text, max) {
  const head = text.match(/^spec\.\w+\[\d+\] \([^)]*\): /)?.[0].length ?? 0;
  while (text.length > max) {
    const groups = [];
    const open = [];
    for (let i = head; i < text.length; i++) {
      if (text[i] === '(') open.push(i);
      else if (text[i] === ')' && open.length > 0) groups.push([open.pop(), i]);
    }
    const [a, b] = groups.sort((x, y) => y[1] - y[0] - (x[1] - x[0]) || x[0] - y[0])[0] ?? [];
    if (a === undefined || b - a < 8) break;
    text = `${text.slice(0, a)}(…)${text.slice(b + 1)}`;
  }
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:(]+$/, '')}…`;
}

function cell(row) {
  if (!row) return '—';
  if (row.loads) return `✓ ${text(row.detail)}`;
  const all = reasons(row.detail);
  const more = all.length > 1 ? ` (+${all.length - 1} more)` : '';
  return `✗ ${text(shorten(all[0], REASON_MAX))}${more}`;
}

/**
 * Plain text in a table cell, escaped as Prettier escapes it (so its output is stable under
 * `prettier --check`): `|` and `*` always, runs of `_` at the start or end of a word or next to
 * punctuation (where they could open or close emphasis), and `<` (HTML) and `\`.
 */
const PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;
function text(s) {
  return s
    .split(/(\s+)/)
    .map((word, i) => {
      if (i % 2 === 1) return ' ';
      let out = '';
      for (let j = 0; j < word.length;) {
        const ch = word[j];
        if (ch === '_') {
          let k = j;
          while (word[k] === '_') k++;
          const before = word[j - 1];
          const after = word[k];
          const run = word.slice(j, k);
          const escape =
            before === undefined ||
            after === undefined ||
            (PUNCT.test(before) && before !== '_') ||
            (PUNCT.test(after) && after !== '_');
          out += escape ? run.replace(/_/g, '\\_') : run;
          j = k;
          continue;
        }
        out += ch === '|' || ch === '*' || ch === '\\' || ch === '<' ? `\\${ch}` : ch;
        j++;
      }
      return out;
    })
    .join('');
}

/** Inline code that needs no escaping (file paths). */
function code(s) {
  return s.includes('`') || s.includes('|') ? text(s) : `\`${s}\``;
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** A table aligned as Prettier aligns it; align: 'l' (none) or 'r' per column. */
function table(head, rows, align = head.map(() => 'l')) {
  const width = (s) => [...s].length;
  const widths = head.map((h, c) => Math.max(3, width(h), ...rows.map((r) => width(r[c]))));
  const pad = (s, c) =>
    align[c] === 'r' ? ' '.repeat(widths[c] - width(s)) + s : s + ' '.repeat(widths[c] - width(s));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${widths.map((w, c) => (align[c] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

function render(reports) {
  const byKernel = reports.map((r) => new Map(r.rows.map((row) => [row.file, row])));
  const files = [...new Set(reports.flatMap((r) => r.rows.map((row) => row.file)))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const pct = (r) => (r.total > 0 ? `${Math.round((100 * r.loads) / r.total)} %` : '—');
  const total = new Set(files).size;

  const summary = table(
    ['kernel', 'release', 'loads', 'share'],
    reports.map((r) => [r.kernel, r.release, `${r.loads}/${r.total}`, pct(r)]),
    ['l', 'l', 'r', 'r'],
  );
  const perFile = table(
    ['policy', ...reports.map((r) => r.kernel)],
    files.map((f) => [code(f), ...byKernel.map((m) => cell(m.get(f)))]),
  );

  return `# Tetragon's example policies, kernel by kernel

<!-- Generated by libs/policy-kernel/scripts/support-table.mjs from reports/policy-support/*.json: do not edit. -->

Every example policy of Tetragon (${total} files, from \`../shared/tetragon-policies\` next to the
repository or \`$VIGIL_TETRAGON_POLICIES\`) was handed to \`PolicyRuntime.add\` on each kernel below. A policy
**loads** on a kernel when every one of its hooks was compiled for that kernel (see
[policy-hooks.md](policy-hooks.md) for how a hook is attached) and really loaded into the kernel and
attached, in monitor mode (selectors run, nothing is enforced), and then removed again. A policy with
one hook that cannot run there does not load at all: Vigil never loads part of a policy.

- **✓** and how its hooks attached: \`kprobe\`, \`fentry\`, \`fmod_ret\` (Override), \`lsm\` (BPF LSM),
  \`uprobe\`, \`tpBtf\` (a kernel tracepoint: a raw tracepoint, or the tracepoint equivalent of a kernel
  function when neither kprobe nor fentry can attach), \`syscalls\` (syscall tracepoints: a syscall hook,
  or the syscall equivalents of a kernel function).
- **✗** and the first reason it was refused (shortened; "+N more" counts the policy's other refused
  hooks). The full reasons are in \`reports/policy-support/<kernel>.json\`.

\`host\` is the machine that ran the test without a VM (this project's development and CI machines:
[kernel-matrix.md](kernel-matrix.md) says what their kernel lets attach); the numbered kernels are the
stock Debian kernels the kernel-matrix lane boots in QEMU.

## Regenerating

\`\`\`sh
# from the repository's root. This machine's kernel (as root, ~20 s): writes reports/policy-support/host.json
(cd libs/policy-kernel && VIGIL_TEST_LANE=kernel ../../node_modules/.bin/vitest run test/kernel/examples.test.ts)
# the VM kernels (a few minutes): writes reports/policy-support/6.1.json and 6.12.json
# (without VIGIL_POLICY_EXAMPLES=1 the VMs skip this test)
scripts/vm/run --kernel 6.1 --kernel 6.12 --timeout 600 --env VIGIL_TEST_LANE=kernel --env VIGIL_POLICY_EXAMPLES=1 \\
  --cwd libs/policy-kernel -- ../../node_modules/.bin/vitest run test/kernel/examples.test.ts
# this page, from every reports/policy-support/*.json
npm run support-table -w @vigil/policy-kernel
\`\`\`

Only the repository is shared with the VMs: when the example policies live outside it, copy them
inside (e.g. under \`.cache/\`) and add \`--env VIGIL_TETRAGON_POLICIES=<that folder>\` to the VM command.

## Summary

${summary}

## Per policy

${perFile}
`;
}

const reports = readReports();
fs.writeFileSync(OUT, render(reports));
console.log(`wrote ${path.relative(ROOT, OUT)}: ${reports.map((r) => `${r.kernel} ${r.loads}/${r.total}`).join(', ')}`);
