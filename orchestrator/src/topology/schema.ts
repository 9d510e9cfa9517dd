import { isAbsolute } from "node:path";
import { z } from "zod";
import type { CommandTemplate } from "../adapter/placeholders.js";
import { planStartOrder } from "../adapter/start-order.js";
import { STDIO_STREAMS, type StdioInterface } from "../adapter/stdio-adapter.js";
import {
  DURATION,
  DURATION_EXAMPLES,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
} from "../../../peer/src/duration.js";
import { messageTextProblem } from "../../../peer/src/message-text.js";
import { MAX_MIN_NEIGHBOURS } from "../../../peer/src/options.js";
import { CHECK_LEVELS, FAILABLE_CLASSES, type CheckLevel, type FailableClass } from "../delivery/delivery-classes.js";
import { RATE_EXAMPLES, parseRate, type NetworkFaultName } from "../faults/network-faults.js";
import { PROCESS_FAULT_NAMES, type ProcessFaultName } from "../faults/process-faults.js";
import { MEMORY_SIZE, MIN_MEMORY, parseMemorySize } from "./memory-size.js";
import { programProblems, startPeers } from "./peer-program.js";

/** Peer and lab names become container names and DNS aliases. */
export const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

export const PEER_MODES = ["tree", "dedup", "heal"] as const;
export const SHAPES = ["chain", "ring", "star", "tree", "mesh", "random", "two-earlier"] as const;
export const PEER_STATES = ["running", "paused", "exited", "stopped", "killed"] as const;

/** The lab-level placements: the one there is, round robin in peer order. */
export const PLACEMENTS = ["spread"] as const;

export const DEFAULTS = {
  mode: "tree",
  heartbeat: "1s",
  timeout: "3s",
  hopLimit: 16,
  /** Heal mode's links kept: two, so that one crash leaves every peer a neighbour to repair from. */
  minNeighbours: 2,
  /**
   * The reference peer idles at about 60 MB and 11 threads (Node's own): 256m and 256 leave it
   * room under load and a custom peer room for a runtime of its own, while a runaway peer (a
   * leak, a fork loop) is stopped by the engine before it takes the host down with it.
   */
  limits: { memory: "256m", pids: 256 },
} as const;

const duration = (description: string) =>
  z
    .string()
    .regex(DURATION, { error: `expected a duration such as ${DURATION_EXAMPLES}` })
    .refine((text) => !DURATION.test(text) || parseDuration(text) !== undefined, {
      error: `at most ${formatDuration(MAX_DURATION_MS)}: no timer waits longer`,
    })
    .describe(description);
/** Heartbeats and timeouts of zero would make the peer refuse to start; a malformed one is the regex's to report. */
const positiveDuration = (description: string) =>
  duration(description).refine((text) => (parseDuration(text) ?? 1) > 0, { error: "must be longer than zero" });
/** Peer names the lab uses for its own containers. */
export const RESERVED_NAMES = ["journal"] as const;
/** The most peers one lab may list: well past what one engine holds, short of what slows loading down. */
export const MAX_PEERS = 1024;
const memorySize = z
  .string()
  .regex(MEMORY_SIZE, { error: "expected a size such as 256m or 1g" })
  // A malformed size is the regex's to report, once.
  .refine((text) => (parseMemorySize(text) ?? Infinity) >= parseMemorySize(MIN_MEMORY)!, {
    error: `must be at least ${MIN_MEMORY} (the engine's minimum)`,
  });
const limitsSchema = z
  .strictObject({
    memory: memorySize
      .optional()
      .describe(
        `memory the container may use, e.g. 256m or 1g (default ${DEFAULTS.limits.memory}); past it the kernel's OOM killer ends the peer`,
      ),
    pids: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(`processes and threads the container may run (default ${DEFAULTS.limits.pids})`),
  })
  .describe("resource limits of the peer's container");
const buildSchema = z
  .strictObject({
    context: z.string().min(1).describe("the directory the image is built from, relative to the topology file"),
    dockerfile: z.string().min(1).optional().describe("the Dockerfile, relative to the context (default Dockerfile)"),
    args: z
      .record(z.string(), z.string())
      .optional()
      .describe("build arguments; BASE_IMAGE is lab's base image unless given here"),
  })
  .describe("build the peer's image from a directory (lab builds it, cached by its content); instead of image");

const commandSchema = z
  .array(z.union([z.string(), z.array(z.string()).min(1)]))
  .describe(
    "the program's arguments (after the image's entrypoint), with placeholders: {name}, {port}, {connect}, {connect[0].host}, {connect[0].port}…; a list inside is a group repeated per dialled peer; absent: the reference peer's flags",
  );

/** How the lab reads a peer: the reference peer's JSON events, or a program's own lines on stdio. */
export const EVENT_INTERFACES = ["json", "stdio"] as const;

const interfaceSchema = z
  .strictObject({
    events: z
      .enum(EVENT_INTERFACES)
      .optional()
      .describe(
        "json: the reference peer's events, peer/PROTOCOL.md (default); stdio: the program's own lines, read by the expressions below",
      ),
    ready: z
      .string()
      .min(1)
      .optional()
      .describe("stdio: a regex for the line meaning listening; may capture (?<port>\\d+); default: the first line"),
    received: z
      .string()
      .min(1)
      .optional()
      .describe(
        "stdio: a regex for a received message, capturing (?<text>…) and optionally (?<from>…); default fits name: text, [name] text, <name> text",
      ),
    sent: z
      .string()
      .min(1)
      .optional()
      .describe("stdio: a regex for the program's echo of a typed line, capturing (?<text>…)"),
    send: z
      .string()
      .optional()
      .describe('stdio: how a chat line is typed, {text} being the message (default "{text}")'),
    stream: z.enum(STDIO_STREAMS).optional().describe("stdio: the output the regexes read (default stdout)"),
  })
  .describe("how the lab talks to the peer's program");

const peerRef = z.string().describe("a peer name");
const peerList = z.array(peerRef);

const peerSettings = {
  mode: z
    .enum(PEER_MODES)
    .optional()
    .describe(
      "tree: forward everything, ids unused (default); dedup: each message id once; heal: each id once, the payload along a tree and only ids on the other links, and a lost link replaced by dialling another known peer (peer/PROTOCOL.md)",
    ),
  image: z
    .string()
    .min(1)
    .optional()
    .describe("an existing image to run (bring your own peer); absent, with no build: the reference image"),
  build: buildSchema.optional(),
  command: commandSchema.optional(),
  interface: interfaceSchema.optional(),
  heartbeat: positiveDuration("ping interval (default 1s)").optional(),
  timeout: positiveDuration(
    "declare a silent neighbour down after this long; must exceed heartbeat (default 3s)",
  ).optional(),
  hopLimit: z.number().int().min(1).max(1000).optional().describe("drop messages after this many hops (default 16)"),
  minNeighbours: z
    .number()
    .int()
    .min(1)
    .max(MAX_MIN_NEIGHBOURS)
    .optional()
    .describe(
      `heal only: the links the peer keeps, dialling other known peers when it has fewer (default ${DEFAULTS.minNeighbours})`,
    ),
  crashHandler: z
    .boolean()
    .optional()
    .describe(
      "any mode: install the crash handler students propose (--crash-handler: on an uncaught error or SIGTERM, dial the connect targets again), to show it does not help when another peer crashes (default false)",
    ),
  env: z.record(z.string(), z.string()).optional().describe("extra environment variables for the container"),
  limits: limitsSchema.optional(),
};

export const defaultsSchema = z.strictObject(peerSettings).describe("settings every peer inherits");

/** A Docker context's name, as `docker context ls` lists it. */
const engineName = z.string().min(1).describe("a Docker context's name (docker context ls)");

export const peerSchema = z
  .strictObject({
    connect: peerList.optional().describe("the peers this one dials"),
    placement: engineName
      .optional()
      .describe("the engine (one of engines) this peer runs on; absent: placed by the lab's placement"),
    ...peerSettings,
  })
  .nullable()
  .describe("a peer; an empty value means all defaults");

export const generateSchema = z
  .strictObject({
    shape: z
      .enum(SHAPES)
      .describe(
        "chain, ring, star, tree, mesh (complete graph), random (connected) or two-earlier (each peer dials the two before it, p2 dials p1: any single peer can go and the rest stay connected)",
      ),
    size: z.number().int().min(2).max(256).describe("number of peers"),
    prefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,28}$/, {
        error: "expected lowercase letters, digits and '-', starting with a letter, at most 29",
      })
      .optional()
      .describe('peer names are <prefix>1..<prefix>N (default "p")'),
    fanout: z.number().int().min(1).max(255).optional().describe("tree only: children per node (default 2)"),
    degree: z.number().min(1).max(255).optional().describe("random only: target average degree (default 3)"),
    seed: z.number().int().min(0).optional().describe("random only: the same seed gives the same graph (default 1)"),
  })
  .describe("generate the peers from a shape instead of listing them");

const checkLevel = z.enum(CHECK_LEVELS).optional();
export const checkSchema = z
  .strictObject(
    Object.fromEntries(FAILABLE_CLASSES.map((klass) => [klass, checkLevel])) as Record<
      FailableClass,
      typeof checkLevel
    >,
  )
  .describe("how the delivery checker treats each kind of anomaly");

const link = z.tuple([peerRef, peerRef]);

/** Whether a cost expectation wants none of something, or some. */
export const NONE_OR_SOME = ["none", "some"] as const;

/**
 * A cost expectation: the payload frames of each broadcast (every `recv` and `dup` of it in the
 * transcripts) against the floor N − 1, the peers that should have received it.
 */
export const costExpectSchema = z
  .strictObject({
    atMost: z
      .number()
      .positive()
      .optional()
      .describe("every broadcast's payload frames at most this many times N − 1, e.g. 1.5"),
    atLeast: z
      .number()
      .min(0)
      .optional()
      .describe("every broadcast's payload frames at least this many times N − 1, e.g. 2 for a storm"),
    duplicates: z
      .enum(NONE_OR_SOME)
      .optional()
      .describe("none: no copy beyond each peer's first; some: at least one, over the broadcasts judged"),
    hopLimitDrops: z
      .enum(NONE_OR_SOME)
      .optional()
      .describe("none: no hop-limit event; some: at least one, over the broadcasts judged"),
    since: z
      .string()
      .min(1)
      .optional()
      .describe(
        "judge the broadcasts from this send on (its text or `as` name); default: those sent since the previous cost expectation, or the start",
      ),
  })
  .superRefine((value, ctx) => {
    if (
      value.atMost === undefined &&
      value.atLeast === undefined &&
      value.duplicates === undefined &&
      value.hopLimitDrops === undefined
    ) {
      ctx.addIssue({
        code: "custom",
        message: "cost needs at least one of atMost, atLeast, duplicates, hopLimitDrops",
      });
    }
    if (value.atMost !== undefined && value.atLeast !== undefined && value.atLeast > value.atMost) {
      ctx.addIssue({
        code: "custom",
        path: ["atLeast"],
        message: `larger than atMost (${value.atMost}): no broadcast can be both`,
      });
    }
  })
  .describe("payload frames per broadcast against the floor N − 1, duplicates and hop-limit drops");

export const expectSchema = z
  .strictObject({
    delivered: z.string().optional().describe("a message text, or the `as` name of a send"),
    to: peerList.optional().describe("peers that must receive it"),
    notTo: peerList.optional().describe("peers that must not receive it"),
    partitions: z.array(peerList).optional().describe("the expected groups of mutually reachable peers"),
    links: z
      .strictObject({
        up: z.array(link).optional(),
        down: z.array(link).optional(),
        reason: z
          .string()
          .min(1)
          .optional()
          .describe("with down: the reason the peers gave, e.g. eof or timeout (peer/PROTOCOL.md)"),
      })
      .optional(),
    state: z.record(z.string(), z.enum(PEER_STATES)).optional().describe("expected container state per peer"),
    cost: costExpectSchema.optional(),
    within: duration("how long the expectation may take to hold").optional(),
  })
  .superRefine((value, ctx) => {
    if (value.delivered === undefined && !value.partitions && !value.links && !value.state && !value.cost) {
      ctx.addIssue({
        code: "custom",
        message: "expect needs at least one of delivered, partitions, links, state, cost",
      });
    }
    for (const key of ["to", "notTo"] as const) {
      if (value[key] && value.delivered === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `"${key}" needs "delivered": which message?` });
      }
    }
    if (value.delivered !== undefined && !value.to && !value.notTo) {
      ctx.addIssue({
        code: "custom",
        path: ["delivered"],
        message: 'say who should show it: "to" (exactly these peers; [] for nobody) and/or "notTo"',
      });
    }
  });

const at = duration("when to run this step, from the scenario start").optional();
const step = <K extends string, S extends z.ZodType>(key: K, schema: S) =>
  z.strictObject({ at, [key]: schema } as { at: typeof at } & { [P in K]: S });

/** A fault step names the peer it is done to: `kill: bob`. */
const faultStep = <K extends ProcessFaultName>(name: K) => step(name, peerRef);
const faultSteps = Object.fromEntries(PROCESS_FAULT_NAMES.map((name) => [name, faultStep(name)])) as unknown as {
  [K in ProcessFaultName]: ReturnType<typeof faultStep<K>>;
};

/** A value that may also be the number 0, which removes a fault (`by: 0`, `limit: 0`). */
const orZero = <S extends z.ZodType>(schema: S) => z.union([z.literal(0), schema]);

/** A delay step's duration in ms, 0 included; undefined when it is not one. */
export function delayMs(value: string | 0): number | undefined {
  return value === 0 ? 0 : parseDuration(value);
}

/**
 * The network faults' steps, with what `lab <fault>` takes: `partition: [[alice, bob], [carol]]`
 * (or `partition: random` with `seed:` and `groups:`), `heal:`, `cut: [alice, bob]` with
 * `oneWay: true`, `link:` likewise, `loss: {peer, percent, to}`, `delay: {peer, by, jitter, to}`,
 * `rate: {peer, limit}`.
 */
const NETWORK_STEPS = {
  partition: z
    .strictObject({
      at,
      partition: z
        .union([z.literal("random"), z.array(peerList.min(1)).min(1)], {
          error: "expected the groups, such as [[alice, bob], [carol]], or random",
        })
        .describe("the groups (the peers not named form one more), or random"),
      seed: z.number().int().min(0).optional().describe("random only: the same seed picks the same groups (default 1)"),
      groups: z.number().int().min(2).optional().describe("random only: how many groups (default 2)"),
    })
    .superRefine((value, ctx) => {
      for (const key of ["seed", "groups"] as const) {
        if (value[key] !== undefined && value.partition !== "random") {
          ctx.addIssue({ code: "custom", path: [key], message: `"${key}" is for partition: random` });
        }
      }
    }),
  heal: step(
    "heal",
    z
      .union([z.null(), z.literal(true)], { error: "write heal: (nothing after it) or heal: true" })
      .describe("remove every network fault"),
  ),
  cut: z.strictObject({
    at,
    cut: link,
    oneWay: z.boolean().optional().describe("only the first peer's packets to the second"),
  }),
  link: z.strictObject({
    at,
    link,
    oneWay: z.boolean().optional().describe("only the first peer's packets to the second"),
  }),
  loss: step("loss", z.strictObject({ peer: peerRef, percent: z.number().min(0).max(100), to: peerRef.optional() })),
  delay: step(
    "delay",
    z
      .strictObject({
        peer: peerRef,
        by: orZero(duration("how long the peer's packets are held; 0 removes the delay")),
        jitter: orZero(duration("± this much, at random")).optional(),
        to: peerRef.optional(),
      })
      .superRefine((value, ctx) => {
        const [by, jitter] = [delayMs(value.by), delayMs(value.jitter ?? 0)];
        if (by !== undefined && jitter !== undefined && jitter > by) {
          ctx.addIssue({ code: "custom", path: ["jitter"], message: `larger than the delay (${value.by})` });
        }
      }),
  ),
  rate: step(
    "rate",
    z.strictObject({
      peer: peerRef,
      limit: orZero(
        z.string().superRefine((text, ctx) => {
          if (parseRate(text) === undefined)
            ctx.addIssue({ code: "custom", message: `expected a rate such as ${RATE_EXAMPLES}` });
        }),
      ),
    }),
  ),
} satisfies Record<NetworkFaultName, z.ZodType>;

/** Each action's step schema, by the action's name: a step's problems are explained by its own action's schema. */
export const STEP_SCHEMAS = {
  send: step(
    "send",
    z.strictObject({
      from: peerRef,
      text: z.string().superRefine((text, ctx) => {
        const problem = messageTextProblem(text);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
      as: z.string().min(1).optional(),
    }),
  ),
  wait: step("wait", duration("how long to wait")),
  ...faultSteps,
  ...NETWORK_STEPS,
  expect: step("expect", expectSchema),
};
export type StepAction = keyof typeof STEP_SCHEMAS;
export const ACTIONS = Object.keys(STEP_SCHEMAS) as StepAction[];

export const stepSchema = z.union(Object.values(STEP_SCHEMAS));

const dnsName = z
  .string()
  .regex(DNS_NAME, { error: "expected a DNS-safe name (lowercase letters, digits and '-', at most 32)" });

export const topologyFileSchema = z
  .strictObject({
    name: dnsName.describe("the lab's name, used in container and network names"),
    description: z.string().optional().describe("one line: what this topology teaches"),
    defaults: defaultsSchema.optional(),
    peers: z.record(z.string().regex(DNS_NAME), peerSchema).optional().describe("peer name → peer"),
    generate: generateSchema.optional(),
    check: checkSchema.optional(),
    scenario: z.array(stepSchema).optional().describe("steps run in order: sends, faults and expectations"),
    engines: z
      .array(engineName)
      .min(1)
      .optional()
      .describe(
        "the Docker engines (contexts) the peers are spread over, joined by a swarm overlay network (docs/multi-host.md); absent: the default engine. --engines and P2PLAB_ENGINES win over it",
      ),
    placement: z
      .enum(PLACEMENTS)
      .optional()
      .describe(
        "how peers without their own placement are put on the engines: spread, round robin in peer order (default)",
      ),
  })
  .describe("a p2plab topology: peers, their links, and optionally a scenario");

export type TopologyFile = z.infer<typeof topologyFileSchema>;
export type GenerateSpec = z.infer<typeof generateSchema>;
export type ScenarioStep = z.infer<typeof stepSchema>;
export type ExpectStep = z.infer<typeof expectSchema>;
export type CostExpect = z.infer<typeof costExpectSchema>;
export type PeerMode = (typeof PEER_MODES)[number];

export type EventInterface = (typeof EVENT_INTERFACES)[number];

/** A built image, resolved: the context is absolute. */
export interface PeerBuild {
  context: string;
  /** Relative to the context. */
  dockerfile: string;
  args: Record<string, string>;
}

/** How lab reads a peer and types into it. */
export type PeerInterface = { events: "json" } | ({ events: "stdio"; send: string } & StdioInterface);

export interface PeerSpec {
  name: string;
  connect: string[];
  mode: PeerMode;
  /** At most one of image and build; neither: the reference image. */
  image?: string;
  build?: PeerBuild;
  /** Absent: the reference peer's flags. */
  command?: CommandTemplate;
  interface: PeerInterface;
  heartbeat: string;
  timeout: string;
  hopLimit: number;
  /** Heal mode only: the links it keeps (absent for the other modes). */
  minNeighbours?: number;
  /** `--crash-handler`: set (true) only when the topology asks for it, so other labs' labels are unchanged. */
  crashHandler?: boolean;
  env: Record<string, string>;
  limits: { memory: string; pids: number };
  /** The engine it runs on: set for every peer when the lab has several engines, absent with one. */
  placement?: string;
}

/** A loaded topology: defaults applied, peers generated, references checked. */
export interface Topology {
  name: string;
  /** Absent when the file has none. */
  description?: string;
  file: string;
  /** File order, or p1..pN for generated topologies. */
  peers: PeerSpec[];
  /** One per connect entry, [peer, target]; a link declared from both ends is kept once. */
  links: Array<[string, string]>;
  check: Partial<Record<FailableClass, CheckLevel>>;
  scenario: ScenarioStep[];
  /** The engines (Docker contexts), the first holding the journal; absent: one engine, the default. */
  engines?: string[];
  /** With engines: each one's clock offset measured at `up` (runtime/clock-offset.ts), put there by `up`. */
  clockOffsets?: Record<string, { offsetMs: number; uncertaintyMs: number }>;
}

const { build: _build, interface: _interface, ...storedSettings } = peerSettings;
const storedInterfaceSchema = z.discriminatedUnion("events", [
  z.strictObject({ events: z.literal("json") }),
  z.strictObject({
    events: z.literal("stdio"),
    send: z.string(),
    ready: z.string().optional(),
    received: z.string().optional(),
    sent: z.string().optional(),
    stream: z.enum(STDIO_STREAMS).optional(),
  }),
]);
const storedPeerSchema = z
  .strictObject({
    name: dnsName,
    connect: z.array(dnsName),
    ...storedSettings,
    build: z
      .strictObject({ context: z.string(), dockerfile: z.string(), args: z.record(z.string(), z.string()) })
      .optional(),
    interface: storedInterfaceSchema,
    limits: limitsSchema.required(),
    placement: engineName.optional(),
  })
  .required({ mode: true, heartbeat: true, timeout: true, hopLimit: true, env: true, limits: true });

/**
 * A loaded topology as `lab up` stores it on the lab's network, checked when read back (anyone
 * can label a network): the file's rules for names, settings and steps, the reserved names, and
 * connections and links between listed peers only.
 */
export const storedTopologySchema: z.ZodType<Topology> = z
  .strictObject({
    name: dnsName,
    description: z.string().optional(),
    file: z.string(),
    peers: z.array(storedPeerSchema),
    links: z.array(z.tuple([dnsName, dnsName])),
    check: checkSchema,
    scenario: z.array(stepSchema),
    engines: z.array(engineName).min(2).optional(),
    clockOffsets: z
      .record(engineName, z.strictObject({ offsetMs: z.number(), uncertaintyMs: z.number().min(0) }))
      .optional(),
  })
  .superRefine((topology, ctx) => {
    topology.peers.forEach((peer, i) => {
      if (topology.engines !== undefined && peer.placement === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["peers", i, "placement"],
          message: "a lab on several engines places every peer",
        });
      if (peer.placement !== undefined && !topology.engines?.includes(peer.placement))
        ctx.addIssue({
          code: "custom",
          path: ["peers", i, "placement"],
          message: `unknown engine "${peer.placement}"`,
        });
    });
    const names = new Set<string>();
    topology.peers.forEach((peer, i) => {
      if (names.has(peer.name))
        ctx.addIssue({ code: "custom", path: ["peers", i, "name"], message: `duplicate peer name "${peer.name}"` });
      if ((RESERVED_NAMES as readonly string[]).includes(peer.name)) {
        ctx.addIssue({ code: "custom", path: ["peers", i, "name"], message: `peer name "${peer.name}" is reserved` });
      }
      names.add(peer.name);
    });
    const known = (path: Array<string | number>, name: string) => {
      if (!names.has(name)) ctx.addIssue({ code: "custom", path, message: `unknown peer "${name}"` });
    };
    topology.peers.forEach((peer, i) => peer.connect.forEach((target, j) => known(["peers", i, "connect", j], target)));
    topology.links.forEach((link, i) => link.forEach((end, j) => known(["links", i, j], end)));
    // The programs' settings as the loader checks them: an expression that does not compile must not reach lab's adapters.
    topology.peers.forEach((peer, i) => {
      if (peer.image !== undefined && peer.build !== undefined)
        ctx.addIssue({ code: "custom", path: ["peers", i, "build"], message: "image and build together" });
      if (peer.build && !isAbsolute(peer.build.context))
        ctx.addIssue({ code: "custom", path: ["peers", i, "build", "context"], message: "not an absolute path" });
      for (const problem of programProblems(peer))
        ctx.addIssue({ code: "custom", path: ["peers", i, ...problem.path], message: problem.message });
    });
    const order = planStartOrder(startPeers(topology.peers));
    if (!order.ok) {
      for (const problem of order.problems)
        ctx.addIssue({ code: "custom", path: problem.path, message: `a cycle of runtime ports: ${problem.message}` });
    }
  });
