import type { CommandUnknownOpts } from "@commander-js/extra-typings";

/** The README's command reference, made from the same declarations as `lab --help`. */
export function commandReference(program: CommandUnknownOpts): string {
  const blocks = program.commands.map((command) => {
    const options = command.options
      .filter((option) => option.long !== "--help")
      .map((option) => {
        const fallback = option.defaultValue === undefined ? "" : ` (default: ${option.defaultValue})`;
        return `  ${option.flags.padEnd(22)} ${option.description}${fallback}`;
      });
    return [`lab ${command.name()} ${command.usage()}`.trimEnd(), `  ${command.description()}`, ...options].join("\n");
  });
  const global = program.options.map((option) => `  ${option.flags.padEnd(22)} ${option.description}`);
  const every = global.length ? [["every command:", ...global].join("\n")] : [];
  return `\`\`\`\n${[...every, ...blocks].join("\n\n")}\n\`\`\`\n`;
}
