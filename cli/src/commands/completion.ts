import { Argument, type Command } from 'commander';
import { completionScript, SHELLS, type Shell } from './completion-scripts';

/**
 * `vigil completion bash|zsh|fish`: a completion script for the shell, generated from this very
 * program (every command, alias, option and choice registered when it runs).
 */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for every vigil command and option')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices([...SHELLS]))
    .addHelpText(
      'after',
      `
Load it into the running shell:
  source <(vigil completion bash)          bash (in ~/.bashrc to keep it)
  source <(vigil completion zsh)           zsh, after compinit (in ~/.zshrc to keep it)
  vigil completion fish | source           fish

Or install it for every new shell:
  vigil completion bash > /etc/bash_completion.d/vigil
  vigil completion zsh > "\${fpath[1]}/_vigil"
  vigil completion fish > ~/.config/fish/completions/vigil.fish

Completes commands and their aliases (tracingpolicy/tp, ...), options, option values with fixed
choices (-o table|json, ...), files and directories where an option or argument takes one
(--data-dir, --token-file, tp add <file>), and argument choices (tp mode <name> enforce|monitor).

Exit codes: 0 printed, 2 usage (unknown shell).`,
    )
    .action((shell: Shell, _opts: unknown, cmd: Command) => {
      let root = cmd;
      while (root.parent) root = root.parent;
      process.stdout.write(completionScript(root, shell));
    });
}
