import { EnvironmentError, InputError } from "../errors.js";
import type { AppliedRules, NetworkRules } from "./runtime.js";

/**
 * The shell script a helper container runs in a container's network namespace to make it carry
 * exactly one NetworkRules set, and the reading of what the script lists back. Pure, so the
 * exact commands are pinned by unit tests; DockerRuntime runs the script, and the memory runtime
 * lists the lines the same rules produce.
 *
 * iptables: a chain of the lab's own, `p2plab-in` (dropFrom, lossFrom), refilled in one
 * iptables-restore transaction, so replacing a set never opens a gap in a partition. INPUT jumps
 * to it only through the interface carrying the container's address: `lo` is never touched, a
 * container keeps talking to itself (and to Docker's DNS, 127.0.0.11). Drops and loss act on
 * arrival, so the sender learns nothing (see NetworkRules). Loss is the statistic match (per
 * packet, at random): it needs no netem.
 *
 * tc, on the same interface's egress: `rateKbit` is a tbf at the root. Delay is netem, which
 * only some kernels have (the caller asks `netemAvailable` first): under the tbf (`parent 1:1`)
 * when there is a rate, so a packet is delayed, then shaped; a delay to one address puts a prio
 * qdisc there instead, whose first band takes all traffic (the delay to all, if any) and whose
 * further bands each delay one address, chosen by a u32 filter on the destination.
 */

/**
 * The nf_tables backend (the peer image's default `iptables`). The legacy one works in a
 * container's namespace too, but Docker writes its own DNS rules there through nf_tables: one
 * backend keeps `iptables-save` showing everything (mixing them makes it warn of hidden tables).
 */
const IPTABLES = "iptables-nft";
const CHAIN_IN = "p2plab-in";
/** The kinds of root qdisc the script puts; a container starts with `noqueue`, so any of these is the lab's. */
const LAB_QDISCS = ["tbf", "netem", "prio"] as const;
/** A prio qdisc has at most 16 bands; the first takes what no filter picks. */
const MAX_DELAYED_ADDRESSES = 15;
/** A full Ethernet frame: tbf must let one through whole. */
const FRAME_BYTES = 1514;

/** Marks the listing's two parts in the script's output. */
const LISTING = { iptables: "# p2plab listing: iptables", qdiscs: "# p2plab listing: qdiscs" } as const;

/** The comment every rule carries: `down` proves a lab left none by listing it. */
export function labComment(lab: string): string {
  return `p2plab:${lab}`;
}

/** One qdisc the script adds: `tc qdisc add dev $dev <parent> handle <handle> <kind> <params>`. */
interface Qdisc {
  parent: string;
  handle: string;
  kind: (typeof LAB_QDISCS)[number];
  params: string;
}

/**
 * The script that makes the namespace holding `address` carry exactly `rules`, then lists what
 * it carries (parseListing reads it). `set -x` traces each command on stderr, so a failure names
 * the command that failed (scriptFailure).
 */
export function networkScript(rules: NetworkRules, address: string): string {
  checkNetworkRules(rules);
  checkAddress(address, "the container's address");
  const comment = labComment(rules.lab);
  const chainRules = iptablesChainRules(rules);
  // The jump into the lab's chain, from the interface carrying the address only.
  const jump = `INPUT -i "$dev" -m comment --comment ${comment} -j ${CHAIN_IN}`;
  const iptables =
    chainRules.length > 0
      ? [
          `${IPTABLES}-restore --noflush <<'RULES'`,
          "*filter",
          // In --noflush mode, declaring a chain creates it or empties it.
          `:${CHAIN_IN} - [0:0]`,
          ...chainRules,
          "COMMIT",
          "RULES",
          // -I 1: before anything the image itself put there.
          `${IPTABLES} -C ${jump} 2>/dev/null || ${IPTABLES} -I ${jump.replace(/^INPUT /, "INPUT 1 ")}`,
        ]
      : [
          `while ${IPTABLES} -D ${jump} 2>/dev/null; do :; done`,
          `if ${IPTABLES} -n -L ${CHAIN_IN} >/dev/null 2>&1; then ${IPTABLES} -F ${CHAIN_IN}; ${IPTABLES} -X ${CHAIN_IN}; fi`,
        ];
  const ours = LAB_QDISCS.map((kind) => `"qdisc ${kind} "*`).join("|");
  return [
    "set -eu",
    `set -- $(ip -o addr show to ${address})`,
    'dev="${2:-}"',
    `if [ -z "$dev" ]; then echo "no interface of this network namespace carries ${address}" >&2; exit 1; fi`,
    "set -x",
    ...iptables,
    // Rebuilt each time: a qdisc tree cannot be edited in place from one set to another.
    `case "$(tc qdisc show dev "$dev" root)" in ${ours}) tc qdisc del dev "$dev" root ;; esac`,
    ...qdiscsOf(rules).map((q) => `tc qdisc add dev "$dev" ${q.parent} handle ${q.handle} ${q.kind} ${q.params}`),
    ...delayFilters(rules),
    `echo '${LISTING.iptables}'`,
    `${IPTABLES}-save -t filter | grep -F -- '"${comment}"' || true`,
    `echo '${LISTING.qdiscs}'`,
    `tc qdisc show dev "$dev" | grep -E '^qdisc (${LAB_QDISCS.join("|")}) ' || true`,
    "",
  ].join("\n");
}

/**
 * What a namespace carries once `rules` are applied on interface `dev`: the lines iptables-save
 * prints (exactly: the script writes them in its own format) and the qdiscs in the shape
 * `tc qdisc show` prints them, without the kernel's own fields (refcnt, its units).
 */
export function appliedListing(rules: NetworkRules, dev: string): AppliedRules {
  checkNetworkRules(rules);
  const chainRules = iptablesChainRules(rules);
  const comment = `-m comment --comment "${labComment(rules.lab)}"`;
  return {
    iptables: chainRules.length > 0 ? [`-A INPUT -i ${dev} ${comment} -j ${CHAIN_IN}`, ...chainRules] : [],
    qdiscs: qdiscsOf(rules).map((q) => `qdisc ${q.kind} ${q.handle} ${q.parent} ${q.params}`),
  };
}

/** The listing at the end of the script's output. */
export function parseListing(stdout: string): AppliedRules {
  const lines = stdout.split("\n").map((line) => line.trimEnd());
  const iptablesAt = lines.indexOf(LISTING.iptables);
  const qdiscsAt = lines.indexOf(LISTING.qdiscs);
  if (iptablesAt < 0 || qdiscsAt < iptablesAt) throw new Error(`no listing in the helper's output:\n${stdout}`);
  const nonEmpty = (part: string[]): string[] => part.filter((line) => line !== "");
  return {
    iptables: nonEmpty(lines.slice(iptablesAt + 1, qdiscsAt)),
    qdiscs: nonEmpty(lines.slice(qdiscsAt + 1)),
  };
}

/**
 * Why the script failed, from its stderr: the last command `set -x` traced (the one `set -e`
 * stopped at) and what was printed after it; before the trace began, all it printed.
 */
export function scriptFailure(stderr: string): { command?: string; said: string } {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  const last = lines.findLastIndex((line) => line.startsWith("+ "));
  if (last < 0) return { said: lines.join("\n") };
  return { command: lines[last]!.slice(2), said: lines.slice(last + 1).join("\n") };
}

/** The EnvironmentError for a helper whose script failed: the failing command and its words, and what to check. */
export function networkRulesFailed(
  container: string,
  exitCode: number,
  stderr: string,
  image: string,
): EnvironmentError {
  const { command, said } = scriptFailure(stderr);
  const what = command === undefined ? "" : `: ${command}`;
  return new EnvironmentError(
    `applying network rules in the namespace of ${container} failed (exit ${exitCode})${what}${said ? `\n    ${said.split("\n").join("\n    ")}` : ""}`,
    `the helper (${image}, root with NET_ADMIN in that namespace) needs an engine that grants NET_ADMIN and a kernel with nf_tables, iptables' comment and statistic matches and the tbf qdisc (netem for delay); try: docker run --rm --cap-add NET_ADMIN --user 0 --entrypoint ${IPTABLES} ${image} -L`,
  );
}

/** The rules of the lab's chain, in iptables-save's own format (-s with a /32, probability with 11 decimals). */
function iptablesChainRules(rules: NetworkRules): string[] {
  const comment = `-m comment --comment "${labComment(rules.lab)}" -j DROP`;
  return [
    ...rules.dropFrom.map((from) => `-A ${CHAIN_IN} -s ${from}/32 ${comment}`),
    ...rules.lossFrom.map(
      ({ percent, from }) =>
        `-A ${CHAIN_IN} -s ${from}/32 -m statistic --mode random --probability ${probability(percent)} ${comment}`,
    ),
  ];
}

/**
 * The probability as iptables-save prints it back: the kernel keeps it as a fraction of 2^31
 * (rounded), printed with 11 decimals. Written so, the script's line and the listing's are equal.
 */
function probability(percent: number): string {
  return (Math.round(0x80000000 * (percent / 100)) / 0x80000000).toFixed(11);
}

/** The qdisc tree for the rules' rate and delays, root first. */
function qdiscsOf(rules: NetworkRules): Qdisc[] {
  const tree: Qdisc[] = [];
  let parent = "root";
  if (rules.rateKbit !== undefined) {
    tree.push({ parent, handle: "1:", kind: "tbf", params: tbfParams(rules.rateKbit) });
    parent = "parent 1:1";
  }
  const toAll = rules.delay.find((delay) => delay.to === undefined);
  const toOne = rules.delay.filter((delay) => delay.to !== undefined);
  if (toOne.length === 0) {
    if (toAll) tree.push({ parent, handle: "2:", kind: "netem", params: netemParams(toAll) });
    return tree;
  }
  // Every priority maps to the first band: only the filters send a packet elsewhere.
  tree.push({ parent, handle: "2:", kind: "prio", params: `bands ${toOne.length + 1} priomap${" 0".repeat(16)}` });
  if (toAll) tree.push({ parent: "parent 2:1", handle: "10:", kind: "netem", params: netemParams(toAll) });
  toOne.forEach((delay, i) =>
    tree.push({
      parent: `parent 2:${band(i)}`,
      handle: `${(0x11 + i).toString(16)}:`,
      kind: "netem",
      params: netemParams(delay),
    }),
  );
  return tree;
}

/** The prio band (tc's hex minor number) of the i-th delay to one address. */
function band(i: number): string {
  return (i + 2).toString(16);
}

function delayFilters(rules: NetworkRules): string[] {
  return rules.delay
    .filter((delay) => delay.to !== undefined)
    .map(
      (delay, i) =>
        `tc filter add dev "$dev" parent 2: protocol ip prio 1 u32 match ip dst ${delay.to}/32 flowid 2:${band(i)}`,
    );
}

function netemParams(delay: { ms: number; jitterMs: number }): string {
  return `delay ${delay.ms}ms${delay.jitterMs > 0 ? ` ${delay.jitterMs}ms` : ""}`;
}

/**
 * The bucket holds 10 ms at the rate, and at least two full frames (less and a frame never
 * passes); the queue behind it 100 ms more, and at least ten frames, so TCP sees the rate rather
 * than a wall of drops.
 */
function tbfParams(rateKbit: number): string {
  const bytesPerSecond = rateKbit * 125;
  const burst = Math.max(2 * FRAME_BYTES, Math.ceil(bytesPerSecond / 100));
  const limit = burst + Math.max(10 * FRAME_BYTES, Math.ceil(bytesPerSecond / 10));
  return `rate ${rateKbit}kbit burst ${burst}b limit ${limit}b`;
}

const LAB_NAME = /^[a-z0-9][a-z0-9-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Everything the script interpolates is checked here, so nothing reaches the shell unquoted but
 * a lab name and IPv4 addresses (a lab's network is IPv4: DockerRuntime gives a container's
 * IPv4 address first).
 */
function checkNetworkRules(rules: NetworkRules): void {
  if (!LAB_NAME.test(rules.lab)) throw new InputError(`network rules: the lab name "${rules.lab}" is not [a-z0-9-]`);
  for (const address of rules.dropFrom) checkAddress(address, "dropFrom");
  for (const { percent, from } of rules.lossFrom) {
    if (!(percent > 0 && percent <= 100))
      throw new InputError(`network rules: a loss of ${percent}% is outside (0, 100]`);
    checkAddress(from, "lossFrom");
  }
  const targets = new Set<string>();
  for (const { ms, jitterMs, to } of rules.delay) {
    if (!(Number.isInteger(ms) && ms >= 0 && Number.isInteger(jitterMs) && jitterMs >= 0))
      throw new InputError(`network rules: a delay of ${ms} ms ± ${jitterMs} ms is not whole milliseconds`);
    if (to !== undefined) checkAddress(to, "delay to");
    const target = to ?? "every address";
    if (targets.has(target)) throw new InputError(`network rules: two delays to ${target}; give one`);
    targets.add(target);
  }
  if (targets.size - (targets.has("every address") ? 1 : 0) > MAX_DELAYED_ADDRESSES)
    throw new InputError(`network rules: delays to more than ${MAX_DELAYED_ADDRESSES} addresses from one container`);
  if (rules.rateKbit !== undefined && !(Number.isInteger(rules.rateKbit) && rules.rateKbit > 0))
    throw new InputError(`network rules: a rate of ${rules.rateKbit} kbit/s is not a whole number above 0`);
}

function checkAddress(address: string, what: string): void {
  if (!IPV4.test(address)) throw new InputError(`network rules: ${what} "${address}" is not an IPv4 address`);
}
