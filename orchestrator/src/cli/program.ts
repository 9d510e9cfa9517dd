import { Command, CommanderError, Option, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { InputError } from "../errors.js";
import { NETWORK_FAULTS, type NetworkFaultName } from "../faults/network-faults.js";
import { PROCESS_FAULTS, PROCESS_FAULT_NAMES, type ProcessFaultName } from "../faults/process-faults.js";
import { packageVersion } from "../paths.js";
import type { Context } from "./context.js";

const results = () => new Option("--results <dir>", "where transcripts are saved").default("results");
const json = () => new Option("--json", "machine-readable output");
const labOption = () => new Option("--lab <name>", "the lab, when more than one runs");
const place = () =>
  new Option(
    "--place <placements>",
    "put peers on engines, e.g. bob=sbx-1,carol=default (over the topology's placement:)",
  );
const wireTimeout = () =>
  new Option("--timeout <duration>", "how long starting the peers and bringing every link up may take").default("120s");

/** The process faults (kill, stop, pause, resume, restart, start): one peer each. */
const control = (program: Command, action: ProcessFaultName) =>
  program
    .command(action)
    .description(PROCESS_FAULTS[action].help)
    .argument("<peer>", "the peer")
    .addOption(labOption())
    .addOption(json());

/** A network fault's command: its help from the vocabulary, --lab and --json. */
const network = (program: Command, name: keyof typeof NETWORK_FAULTS) =>
  program.command(name).description(NETWORK_FAULTS[name].help).addOption(labOption()).addOption(json());
const oneWay = () => new Option("--one-way", "only the direction from the first peer to the second");
const toPeer = () => new Option("--to <peer>", "only the packets to this peer");

/** Stop and restart's --grace when none is given (`lab ui`'s controls give none). */
export const GRACE_DEFAULT = "5s";

/**
 * Every command's arguments and options, declared once: the help text, the README's command
 * reference and the option types of the command modules (OptionsOf) all come from here.
 */
const declare = {
  up: (program: Command) =>
    program
      .command("up")
      .description("validate a topology, start one container per peer, and wait until every link is up")
      .argument("<file>", "topology file, e.g. topologies/chain.yaml")
      .option("--recreate", "replace a running lab of the same name (its transcripts are saved first)")
      .addOption(place())
      .addOption(wireTimeout())
      .addOption(results())
      .addOption(json()),
  run: (program: Command) =>
    program
      .command("run")
      .description(
        "up, run the topology's scenario, check every delivery, write the report, down; exit 0 when all held",
      )
      .argument("<file>", "topology file with a scenario")
      .addOption(
        new Option(
          "--image <image>",
          "run every peer from this image instead, talked to as the topology's defaults say (command, interface)",
        ).conflicts("build"),
      )
      .option("--build <dir>", "the same, with the image built from this directory (its Dockerfile)")
      .option("--keep", "leave the lab running afterwards")
      .addOption(place())
      .addOption(wireTimeout())
      .addOption(results())
      .addOption(json()),
  report: (program: Command) =>
    program
      .command("report")
      .description("re-render report.md and report.html from a results directory")
      .argument("<dir>", "a directory written by lab run, e.g. results/latest"),
  status: (program: Command) =>
    program
      .command("status")
      .description("peer states, live links as the peers report them, and the partitions")
      .argument("[lab]", "lab name (default: the only running lab)")
      .addOption(json()),
  watch: (program: Command) =>
    program
      .command("watch")
      .description("live status and a feed of deliveries and link changes; Ctrl-C leaves the lab running")
      .argument("[lab]", "lab name (default: the only running lab)")
      .addOption(
        new Option("--json", "one JSON object per line: the peers' events, and the lab's status each time it changes"),
      ),
  ui: (program: Command) =>
    program
      .command("ui")
      .description("serve a live page of the lab: its graph, a feed, and the controls; Ctrl-C leaves the lab running")
      .argument("[lab]", "lab name (default: the only running lab)")
      .option("--port <n>", "the port to listen on (0: a free one)", "0")
      .option(
        "--host <address>",
        "the address to listen on; anything but loopback lets others control the lab",
        "127.0.0.1",
      )
      .addOption(
        new Option(
          "--results <dir>",
          "where lab down saves the transcripts: the page offers what it finds there",
        ).default("results"),
      ),
  send: (program: Command) =>
    program
      .command("send")
      .description("type a chat line into a peer's stdin and report who received it")
      .argument("<peer>", "the sending peer")
      .argument("<text...>", "the message")
      .addOption(labOption())
      .addOption(json()),
  control,
  grace: (command: ReturnType<typeof control>) =>
    command.option("--grace <duration>", "time between SIGTERM and SIGKILL", GRACE_DEFAULT),
  partition: (program: Command) =>
    network(program, "partition")
      .argument("[groups...]", "the groups, names split by commas, groups by /: alice,bob / carol,dave")
      .option("--random", "pick the groups at random instead")
      .option("--seed <n>", "with --random: the same seed picks the same groups (default 1)")
      .option("--groups <n>", "with --random: how many groups (default 2)"),
  heal: (program: Command) => network(program, "heal"),
  cut: (program: Command) =>
    network(program, "cut").argument("<a>", "a peer").argument("<b>", "another peer").addOption(oneWay()),
  link: (program: Command) =>
    network(program, "link").argument("<a>", "a peer").argument("<b>", "another peer").addOption(oneWay()),
  loss: (program: Command) =>
    network(program, "loss")
      .argument("<peer>", "the peer whose packets are lost")
      .argument("<percent>", "the share lost, e.g. 10 or 10%")
      .addOption(toPeer()),
  delay: (program: Command) =>
    network(program, "delay")
      .argument("<peer>", "the peer whose packets are held")
      .argument("<duration>", "how long, e.g. 200ms")
      .option("--jitter <duration>", "± this much, at random", "0ms")
      .addOption(toPeer()),
  rate: (program: Command) =>
    network(program, "rate")
      .argument("<peer>", "the peer whose outgoing traffic is limited")
      .argument("<rate>", "e.g. 256kbit or 1mbit; 0 removes the limit"),
  logs: (program: Command) =>
    program
      .command("logs")
      .description("the readable transcript: who said what, received via whom, hops, when")
      .argument("[peer]", "one peer only (default: every peer and the lab's actions, merged by time)")
      .option("-f, --follow", "keep printing new lines until Ctrl-C")
      .addOption(labOption())
      .addOption(new Option("--json", "the raw events, one JSON object per line")),
  transcripts: (program: Command) =>
    program
      .command("transcripts")
      .description("write every peer's transcript (.jsonl and .txt) and one merged timeline")
      .argument("[lab]", "lab name (default: the only running lab)")
      .requiredOption("--out <dir>", "directory to write to")
      .addOption(json()),
  down: (program: Command) =>
    program
      .command("down")
      .description("save the transcripts, then remove every container and network of the lab")
      .argument("[lab]", "lab name (default: the only running lab)")
      .addOption(results())
      .addOption(json()),
  compose: (program: Command) =>
    program
      .command("compose")
      .description("export a topology as a standalone compose file; lab status, send, kill, logs and down work on it")
      .argument("<file>", "topology file")
      .option("-o, --out <file>", "write to a file instead of stdout"),
  image: (program: Command) =>
    program
      .command("image")
      .description(
        "build the peer image when it is missing or out of date (and its base when no registry answers); print its tag",
      ),
  ls: (program: Command) => program.command("ls").description("the labs on this engine").addOption(json()),
  validate: (program: Command) =>
    program
      .command("validate")
      .description("check a topology file and report every problem, without starting anything")
      .argument("<file>", "topology file")
      .addOption(place())
      .addOption(json()),
};

/**
 * A network fault's words as typed after `lab <fault>` (arguments and flags), parsed by its
 * declaration here, with nothing printed: `lab ui`'s controls take the CLI's words by its rules.
 * A usage mistake is an InputError with commander's words.
 */
export function parseFaultWords<K extends NetworkFaultName>(name: K, words: string[]): ReturnType<(typeof declare)[K]> {
  const command = (declare[name] as (program: Command) => CommandUnknownOpts)(new Command())
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
  try {
    command.parse(words, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    throw new InputError(`lab ${name}: ${error.message.replace(/^error: /, "")}`, `see lab ${name} --help`);
  }
  return command as ReturnType<(typeof declare)[K]>;
}

/** The options a command's action gets, as commander parses them. */
export type OptionsOf<K extends keyof typeof declare> = ReturnType<ReturnType<(typeof declare)[K]>["opts"]>;

/**
 * The program: each declared command with its action. Actions import their command module
 * lazily, so `lab --help` stays fast.
 */
export function buildProgram(ctx: () => Context): Command {
  const program = new Command("lab")
    .description("p2plab: run peer-to-peer chat networks in containers, inject faults, and read who received what")
    .version(packageVersion())
    .showHelpAfterError("(run lab --help for the commands)")
    .option(
      "--engines <contexts>",
      "Docker contexts to spread the lab over, split by commas (default: $P2PLAB_ENGINES, the topology's engines:, or the default engine); docs/multi-host.md",
    )
    .exitOverride();

  declare
    .up(program)
    .action(async (file, options) => (await import("./commands/up.js")).upCommand(ctx(), file, options));
  declare
    .run(program)
    .action(async (file, options) => (await import("./commands/run.js")).runCommand(ctx(), file, options));
  declare.report(program).action(async (dir) => (await import("./commands/report.js")).reportCommand(ctx(), dir));
  declare
    .status(program)
    .action(async (lab, options) => (await import("./commands/status.js")).statusCommand(ctx(), lab, options));
  declare
    .watch(program)
    .action(async (lab, options) => (await import("./commands/watch.js")).watchCommand(ctx(), lab, options));
  declare.ui(program).action(async (lab, options) => (await import("./commands/ui.js")).uiCommand(ctx(), lab, options));
  declare
    .send(program)
    .action(async (peer, text, options) =>
      (await import("./commands/send.js")).sendCommand(ctx(), peer, text, options),
    );
  for (const action of PROCESS_FAULT_NAMES) {
    const command = control(program, action);
    const run = async (peer: string, options: OptionsOf<"control"> | OptionsOf<"grace">) =>
      (await import("./commands/control.js")).controlCommand(ctx(), action, peer, options);
    if (PROCESS_FAULTS[action].graceful) declare.grace(command).action(run);
    else command.action(run);
  }
  const networkCommand = async () => await import("./commands/network.js");
  declare
    .partition(program)
    .action(async (groups, options) => (await networkCommand()).partitionCommand(ctx(), groups, options));
  declare.heal(program).action(async (options) => (await networkCommand()).healCommand(ctx(), options));
  for (const name of ["cut", "link"] as const) {
    declare[name](program).action(async (a, b, options) =>
      (await networkCommand()).pairCommand(ctx(), name, a, b, options),
    );
  }
  declare
    .loss(program)
    .action(async (peer, percent, options) => (await networkCommand()).lossCommand(ctx(), peer, percent, options));
  declare
    .delay(program)
    .action(async (peer, duration, options) => (await networkCommand()).delayCommand(ctx(), peer, duration, options));
  declare
    .rate(program)
    .action(async (peer, rate, options) => (await networkCommand()).rateCommand(ctx(), peer, rate, options));
  declare
    .logs(program)
    .action(async (peer, options) => (await import("./commands/logs.js")).logsCommand(ctx(), peer, options));
  declare
    .transcripts(program)
    .action(async (lab, options) =>
      (await import("./commands/transcripts.js")).transcriptsCommand(ctx(), lab, options),
    );
  declare
    .down(program)
    .action(async (lab, options) => (await import("./commands/down.js")).downCommand(ctx(), lab, options));
  declare
    .compose(program)
    .action(async (file, options) => (await import("./commands/compose.js")).composeCommand(ctx(), file, options));
  declare.image(program).action(async () => (await import("./commands/image.js")).imageCommand(ctx()));
  declare.ls(program).action(async (options) => (await import("./commands/ls.js")).lsCommand(ctx(), options));
  declare
    .validate(program)
    .action(async (file, options) => (await import("./commands/validate.js")).validateCommand(ctx(), file, options));

  return program;
}
