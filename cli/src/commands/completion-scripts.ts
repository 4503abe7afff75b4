import type { Command, Option } from 'commander';

/**
 * Shell completion scripts generated from the commander program itself: every command and
 * alias, every option (values: choices, files or directories where the placeholder says so),
 * every argument with choices. Nothing is listed by hand, so a new command or option completes
 * as soon as it is registered.
 */

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

/** What a value completes to: fixed words, files, directories, or nothing known. */
type ValueKind = { choices: string[] } | 'file' | 'dir' | 'none';

interface OptionSpec {
  names: string[];
  description: string;
  /** undefined: a flag without a value. */
  value?: ValueKind;
}

interface ArgumentSpec {
  name: string;
  value: ValueKind;
  variadic: boolean;
}

export interface CommandSpec {
  /** "vigil tracingpolicy add": the canonical names from the root. */
  path: string;
  name: string;
  aliases: string[];
  description: string;
  subcommands: CommandSpec[];
  options: OptionSpec[];
  args: ArgumentSpec[];
}

function valueKind(placeholder: string, choices: readonly string[] | undefined): ValueKind {
  if (choices && choices.length > 0) return { choices: [...choices] };
  if (/dir/i.test(placeholder)) return 'dir';
  if (/file|path/i.test(placeholder)) return 'file';
  return 'none';
}

function optionSpec(o: Option): OptionSpec {
  const names = [o.short, o.long].filter((x): x is string => typeof x === 'string');
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  const takes = o.required || o.optional;
  return {
    names,
    description: firstLine(o.description),
    ...(takes ? { value: valueKind(placeholder ?? '', o.argChoices) } : {}),
  };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim();
}

/** The program as data: visible commands and options only, help included. */
export function commandSpec(cmd: Command, parentPath = ''): CommandSpec {
  const help = cmd.createHelp();
  const path = parentPath ? `${parentPath} ${cmd.name()}` : cmd.name();
  return {
    path,
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: firstLine(cmd.description()),
    subcommands: help.visibleCommands(cmd).map((c) => commandSpec(c, path)),
    options: help.visibleOptions(cmd).map(optionSpec),
    args: cmd.registeredArguments.map((a) => ({
      name: a.name(),
      value: valueKind(a.name(), a.argChoices),
      variadic: a.variadic,
    })),
  };
}

function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}

/** Options that take a value, as words: the walkers skip the value that follows them. */
function valueOptions(c: CommandSpec): string[] {
  return c.options.filter((o) => o.value !== undefined).flatMap((o) => o.names);
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const fishq = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (path: string): string => path.replace(/[^A-Za-z0-9]+/g, '_');

export function completionScript(program: Command, shell: Shell): string {
  const root = commandSpec(program);
  switch (shell) {
    case 'bash':
      return bashScript(root);
    case 'zsh':
      return zshScript(root);
    case 'fish':
      return fishScript(root);
  }
}

/** The case arms a walker needs: subcommand → canonical name, and which options take a value. */
function walkerCases(root: CommandSpec, indent: string): { subs: string; values: string } {
  const commands = allCommands(root);
  const subs = commands
    .filter((c) => c.subcommands.length > 0)
    .flatMap((c) =>
      c.subcommands.map(
        (s) => `${indent}${[s.name, ...s.aliases].map((w) => sq(`${c.path}|${w}`)).join('|')}) echo ${sq(s.name)} ;;`,
      ),
    );
  const values = commands
    .filter((c) => valueOptions(c).length > 0)
    .map(
      (c) =>
        `${indent}${valueOptions(c)
          .map((o) => sq(`${c.path}|${o}`))
          .join('|')}) return 0 ;;`,
    );
  return { subs: subs.join('\n'), values: values.join('\n') };
}

function bashScript(root: CommandSpec): string {
  const prog = root.name;
  const fn = `_${ident(prog)}`;
  const { subs, values } = walkerCases(root, '    ');
  const commands = allCommands(root);
  const words = commands
    .map((c) => {
      const subs = c.subcommands.flatMap((s) => [s.name, ...s.aliases]);
      const opts = c.options.flatMap((o) => o.names);
      return `    ${sq(c.path)}) subs=${sq(subs.join(' '))}; opts=${sq(opts.join(' '))} ;;`;
    })
    .join('\n');
  const optionValues = commands
    .flatMap((c) =>
      c.options
        .filter((o) => o.value !== undefined)
        .map((o) => `    ${o.names.map((n) => sq(`${c.path}|${n}`)).join('|')}) ${bashValue(o.value!)} ;;`),
    )
    .join('\n');
  const argValues = commands
    .flatMap((c) =>
      c.args.map(
        (a, i) => `    ${sq(`${c.path}|${i}`)}${a.variadic ? `|${sq(`${c.path}|`)}*` : ''}) ${bashValue(a.value)} ;;`,
      ),
    )
    .join('\n');
  return `# bash completion for ${prog}, generated by \`${prog} completion bash\`.
# Load it now:        source <(${prog} completion bash)
# Or for every shell: ${prog} completion bash > /etc/bash_completion.d/${prog}   (or ~/.local/share/bash-completion/completions/${prog})

${fn}_sub() {
  case "$1|$2" in
${subs}
  esac
}

${fn}_takes_value() {
  case "$1|$2" in
${values}
  esac
  return 1
}

${fn}_value() {
  case "$1|$2" in
${optionValues}
  esac
}

${fn}_arg() {
  case "$1|$2" in
${argValues}
  esac
}

${fn}() {
  local line="\${COMP_LINE:0:COMP_POINT}" cur="" path=${sq(prog)} pos=0 i sub w
  local -a toks
  read -r -a toks <<< "$line"
  if [[ "$line" != *[[:space:]] && \${#toks[@]} -gt 0 ]]; then
    cur="\${toks[\${#toks[@]}-1]}"
    toks=( "\${toks[@]:0:\${#toks[@]}-1}" )
  fi
  COMPREPLY=()
  for (( i = 1; i < \${#toks[@]}; i++ )); do
    w="\${toks[i]}"
    case "$w" in
      --) ;;
      --*=*) ;;
      -*) if ${fn}_takes_value "$path" "$w"; then
            if (( i + 1 == \${#toks[@]} )); then
              ${fn}_complete "$(${fn}_value "$path" "$w")" "$cur" ""
              return 0
            fi
            (( i++ ))
          fi ;;
      *) sub="$(${fn}_sub "$path" "$w")"
         if [[ -n "$sub" ]]; then path="$path $sub"; pos=0; else (( pos++ )); fi ;;
    esac
  done
  local subs="" opts=""
  case "$path" in
${words}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return 0
  fi
  ${fn}_complete "$(${fn}_arg "$path" "$pos")" "$cur" "$subs"
}

# $1: choices, @file or @dir (empty: $3, the command's subcommands and options); $2: the word so far.
${fn}_complete() {
  case "$1" in
    @file) compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -f -- "$2") ) ;;
    @dir) compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -d -- "$2") ) ;;
    '') COMPREPLY=( $(compgen -W "$3" -- "$2") ) ;;
    *) COMPREPLY=( $(compgen -W "$1" -- "$2") ) ;;
  esac
}

complete -F ${fn} ${prog}
`;
}

/** What ${fn}_value / ${fn}_arg print: the choices, or @file / @dir for the shell to complete. */
function bashValue(v: ValueKind): string {
  if (v === 'file') return 'echo @file';
  if (v === 'dir') return 'echo @dir';
  if (v === 'none') return ':';
  return `echo ${sq(v.choices.join(' '))}`;
}

function zshScript(root: CommandSpec): string {
  const prog = root.name;
  const fn = `_${ident(prog)}`;
  const { subs, values } = walkerCases(root, '    ');
  const commands = allCommands(root);
  const zq = (name: string, description: string) => sq(`${name.replace(/:/g, '\\:')}:${description}`);
  const describe = commands
    .map((c) => {
      const cmds = c.subcommands.flatMap((s) => [s.name, ...s.aliases].map((n) => zq(n, s.description)));
      const opts = c.options.flatMap((o) => o.names.map((n) => zq(n, o.description)));
      return `    ${sq(c.path)}) cmds=(${cmds.join(' ')}); opts=(${opts.join(' ')}) ;;`;
    })
    .join('\n');
  const zshValue = (v: ValueKind): string =>
    v === 'file'
      ? '_files'
      : v === 'dir'
        ? '_files -/'
        : v === 'none'
          ? ':'
          : `compadd -- ${v.choices.map(sq).join(' ')}`;
  const optionValues = commands
    .flatMap((c) =>
      c.options
        .filter((o) => o.value !== undefined)
        .map((o) => `    ${o.names.map((n) => sq(`${c.path}|${n}`)).join('|')}) ${zshValue(o.value!)}; return 0 ;;`),
    )
    .join('\n');
  const argValues = commands
    .flatMap((c) =>
      c.args
        .filter((a) => a.value !== 'none')
        .map(
          (a) =>
            `    ${sq(`${c.path}|${c.args.indexOf(a)}`)}${a.variadic ? `|${sq(`${c.path}|`)}*` : ''}) ${zshValue(a.value)}; return 0 ;;`,
        ),
    )
    .join('\n');
  return `#compdef ${prog}
# zsh completion for ${prog}, generated by \`${prog} completion zsh\`.
# Load it now:        source <(${prog} completion zsh)
# Or for every shell: ${prog} completion zsh > "\${fpath[1]}/_${prog}"   (then restart zsh; compinit must run)

${fn}_sub() {
  case "$1|$2" in
${subs}
  esac
}

${fn}_takes_value() {
  case "$1|$2" in
${values}
  esac
  return 1
}

${fn}_value() {
  case "$1|$2" in
${optionValues}
  esac
  return 1
}

${fn}_arg() {
  case "$1|$2" in
${argValues}
  esac
  return 1
}

${fn}() {
  local cmdpath=${sq(prog)} pos=0 i=2 w sub
  local -a cmds opts
  while (( i < CURRENT )); do
    w=\${words[i]}
    case $w in
      --|--*=*) ;;
      -*) if ${fn}_takes_value "$cmdpath" "$w"; then
            if (( i + 1 == CURRENT )); then ${fn}_value "$cmdpath" "$w"; return; fi
            (( i++ ))
          fi ;;
      *) sub=$(${fn}_sub "$cmdpath" "$w")
         if [[ -n $sub ]]; then cmdpath="$cmdpath $sub"; pos=0; else (( pos++ )); fi ;;
    esac
    (( i++ ))
  done
  case $cmdpath in
${describe}
  esac
  if [[ \${words[CURRENT]} == -* ]]; then
    _describe -t options option opts
    return
  fi
  ${fn}_arg "$cmdpath" "$pos" && return
  (( \${#cmds} )) && _describe -t commands command cmds
}

# Autoloaded from $fpath: complete now; sourced: register.
if [[ "$funcstack[1]" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${prog}
fi
`;
}

function fishScript(root: CommandSpec): string {
  const prog = root.name;
  const fn = `__${ident(prog)}`;
  const commands = allCommands(root);
  const subCases = commands
    .filter((c) => c.subcommands.length > 0)
    .flatMap((c) =>
      c.subcommands.map(
        (s) =>
          `        case ${[s.name, ...s.aliases].map((n) => fishq(`${c.path}|${n}`)).join(' ')}\n            echo ${fishq(s.name)}`,
      ),
    )
    .join('\n');
  const valueCases = commands
    .filter((c) => valueOptions(c).length > 0)
    .map(
      (c) =>
        `        case ${valueOptions(c)
          .map((o) => fishq(`${c.path}|${o}`))
          .join(' ')}\n            return 0`,
    )
    .join('\n');
  const lines: string[] = [];
  for (const c of commands) {
    const cond = `${fn}_path_is ${fishq(c.path)}`;
    // No file names unless an argument or option takes one (-F / -r -F below).
    lines.push(`complete -c ${prog} -f -n ${fishq(cond)}`);
    for (const s of c.subcommands)
      for (const n of [s.name, ...s.aliases])
        lines.push(`complete -c ${prog} -f -n ${fishq(cond)} -a ${fishq(n)} -d ${fishq(s.description)}`);
    for (const o of c.options) {
      const flags = o.names
        .map((n) => (n.startsWith('--') ? `-l ${fishq(n.slice(2))}` : `-s ${fishq(n.slice(1))}`))
        .join(' ');
      let value = '';
      if (o.value === 'file') value = ' -r -F';
      else if (o.value === 'dir') value = ` -r -x -a ${fishq('(__fish_complete_directories)')}`;
      else if (o.value === 'none') value = ' -r -x';
      else if (o.value) value = ` -r -x -a ${fishq(o.value.choices.join(' '))}`;
      lines.push(`complete -c ${prog} -n ${fishq(cond)} ${flags}${value} -d ${fishq(o.description)}`);
    }
    c.args.forEach((a, i) => {
      const at = `${fn}_path_is ${fishq(c.path)}; and ${fn}_arg_is ${i}${a.variadic ? ' +' : ''}`;
      if (a.value === 'file') lines.push(`complete -c ${prog} -F -n ${fishq(at)}`);
      else if (a.value === 'dir')
        lines.push(`complete -c ${prog} -f -n ${fishq(at)} -a ${fishq('(__fish_complete_directories)')}`);
      else if (a.value !== 'none')
        lines.push(`complete -c ${prog} -f -n ${fishq(at)} -a ${fishq(a.value.choices.join(' '))}`);
    });
  }
  return `# fish completion for ${prog}, generated by \`${prog} completion fish\`.
# Load it now:        ${prog} completion fish | source
# Or for every shell: ${prog} completion fish > ~/.config/fish/completions/${prog}.fish

function ${fn}_sub
    switch "$argv[1]|$argv[2]"
${subCases}
    end
end

function ${fn}_takes_value
    switch "$argv[1]|$argv[2]"
${valueCases}
    end
    return 1
end

# The command path and the index of the positional argument being completed, from the line so far.
function ${fn}_walk
    set -l tokens (commandline -opc)
    set -l path ${fishq(prog)}
    set -l pos 0
    set -l skip 0
    for w in $tokens[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $w
            case '--' '--*=*'
            case '-*'
                if ${fn}_takes_value "$path" "$w"
                    set skip 1
                end
            case '*'
                set -l sub (${fn}_sub "$path" "$w")
                if test -n "$sub"
                    set path "$path $sub"
                    set pos 0
                else
                    set pos (math $pos + 1)
                end
        end
    end
    echo $path
    echo $pos
end

function ${fn}_path_is
    set -l walked (${fn}_walk)
    test "$walked[1]" = "$argv[1]"
end

function ${fn}_arg_is
    set -l walked (${fn}_walk)
    if test "$argv[2]" = '+'
        test $walked[2] -ge $argv[1]
    else
        test $walked[2] -eq $argv[1]
    end
end

complete -c ${prog} -e
${lines.join('\n')}
`;
}
