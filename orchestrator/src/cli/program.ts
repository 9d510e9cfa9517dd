import { Command, Option } from "commander";
import { CONTROL_ACTIONS, type ControlAction } from "../lab/control.js";
import { packageVersion } from "../paths.js";
import type { Context } from "./context.js";

const CONTROL_HELP: Record<ControlAction, string> = {
  kill: "SIGKILL a peer: it dies at once, its sockets are closed by the kernel",
  stop: "SIGTERM a peer, then SIGKILL after --grace: a clean shutdown",
  pause: "freeze a peer (cgroup freezer): its links stay open but silent",
  resume: "unfreeze a paused peer",
  restart: "stop and start a peer: a new process with the same name and --connect targets",
  start: "start a stopped or killed peer again",
};

/**
 * Every command and option, declared once: the help text and the README's command reference
 * come from here. Actions import their command module lazily, so `lab --help` stays fast.
 */
export function buildProgram(ctx: () => Context): Command {
  const program = new Command("lab")
    .description("p2plab: run peer-to-peer chat networks in containers, inject faults, and read who received what")
    .version(packageVersion())
    .showHelpAfterError("(run lab --help for the commands)")
    .exitOverride();
  const results = (): Option => new Option("--results <dir>", "where transcripts are saved").default("results");
  const json = (): Option => new Option("--json", "machine-readable output");
  const labOption = (): Option => new Option("--lab <name>", "the lab, when more than one runs");
  const wireTimeout = (): Option =>
    new Option("--timeout <duration>", "how long starting the peers and bringing every link up may take").default("120s");

  program
    .command("up")
    .description("validate a topology, start one container per peer, and wait until every link is up")
    .argument("<file>", "topology file, e.g. topologies/chain.yaml")
    .option("--recreate", "replace a running lab of the same name (its transcripts are saved first)")
    .addOption(wireTimeout())
    .addOption(results())
    .addOption(json())
    .action(async (file, options) => (await import("./commands/up.js")).upCommand(ctx(), file, options));

  program
    .command("run")
    .description("up, run the topology's scenario, check every delivery, write the report, down; exit 0 when all held")
    .argument("<file>", "topology file with a scenario")
    .option("--keep", "leave the lab running afterwards")
    .addOption(wireTimeout())
    .addOption(results())
    .addOption(json())
    .action(async (file, options) => (await import("./commands/run.js")).runCommand(ctx(), file, options));

  program
    .command("report")
    .description("re-render report.md and report.html from a results directory")
    .argument("<dir>", "a directory written by lab run, e.g. results/latest")
    .action(async (dir) => (await import("./commands/report.js")).reportCommand(ctx(), dir));

  program
    .command("status")
    .description("peer states, live links as the peers report them, and the partitions")
    .argument("[lab]", "lab name (default: the only running lab)")
    .addOption(json())
    .action(async (lab, options) => (await import("./commands/status.js")).statusCommand(ctx(), lab, options));

  program
    .command("watch")
    .description("live status and a feed of deliveries and link changes; Ctrl-C leaves the lab running")
    .argument("[lab]", "lab name (default: the only running lab)")
    .action(async (lab) => (await import("./commands/watch.js")).watchCommand(ctx(), lab));

  program
    .command("send")
    .description("type a chat line into a peer's stdin and report who received it")
    .argument("<peer>", "the sending peer")
    .argument("<text...>", "the message")
    .addOption(labOption())
    .addOption(json())
    .action(async (peer, text, options) => (await import("./commands/send.js")).sendCommand(ctx(), peer, text, options));

  for (const action of CONTROL_ACTIONS) {
    const command = program
      .command(action)
      .description(CONTROL_HELP[action])
      .argument("<peer>", "the peer")
      .addOption(labOption())
      .addOption(json());
    if (action === "stop" || action === "restart") command.option("--grace <duration>", "time between SIGTERM and SIGKILL", "5s");
    command.action(async (peer, options) => (await import("./commands/control.js")).controlCommand(ctx(), action, peer, options));
  }

  program
    .command("logs")
    .description("the readable transcript: who said what, received via whom, hops, when")
    .argument("[peer]", "one peer only (default: every peer and the lab's actions, merged by time)")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .addOption(labOption())
    .addOption(new Option("--json", "the raw events, one JSON object per line"))
    .action(async (peer, options) => (await import("./commands/logs.js")).logsCommand(ctx(), peer, options));

  program
    .command("transcripts")
    .description("write every peer's transcript (.jsonl and .txt) and one merged timeline")
    .argument("[lab]", "lab name (default: the only running lab)")
    .requiredOption("--out <dir>", "directory to write to")
    .addOption(json())
    .action(async (lab, options) => (await import("./commands/transcripts.js")).transcriptsCommand(ctx(), lab, options));

  program
    .command("down")
    .description("save the transcripts, then remove every container and network of the lab")
    .argument("[lab]", "lab name (default: the only running lab)")
    .addOption(results())
    .addOption(json())
    .action(async (lab, options) => (await import("./commands/down.js")).downCommand(ctx(), lab, options));

  program
    .command("compose")
    .description("export a topology as a standalone compose file; lab status, send, kill, logs and down work on it")
    .argument("<file>", "topology file")
    .option("-o, --out <file>", "write to a file instead of stdout")
    .action(async (file, options) => (await import("./commands/compose.js")).composeCommand(ctx(), file, options));

  program
    .command("image")
    .description("build the peer image when it is missing or out of date (and its base when no registry answers); print its tag")
    .action(async () => (await import("./commands/image.js")).imageCommand(ctx()));

  program
    .command("ls")
    .description("the labs on this engine")
    .addOption(json())
    .action(async (options) => (await import("./commands/ls.js")).lsCommand(ctx(), options));

  program
    .command("validate")
    .description("check a topology file and report every problem, without starting anything")
    .argument("<file>", "topology file")
    .addOption(json())
    .action(async (file, options) => (await import("./commands/validate.js")).validateCommand(ctx(), file, options));

  return program;
}
