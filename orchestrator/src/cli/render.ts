import { describeStatus, partitionsText } from "../check/overlay.js";
import { describeNetworkState, pairText } from "../faults/network-faults.js";
import type { PeerStatus } from "../faults/peer-status.js";
import type { LabSnapshot } from "../lab/lab.js";
import { describeLinkBack, type LinkBack } from "../lab/links-back.js";
import type { SendResult } from "../lab/send.js";
import { drawGraph } from "../report/text-graph.js";
import { journalProblem, type JournalState } from "../transcript/journal.js";
import { linkSourceLabel } from "../transcript/link-records.js";
import { visible } from "../visible.js";
import { table, type Colors } from "./output.js";

const MARK: Partial<Record<PeerStatus, string>> = {
  killed: "✕ killed",
  exited: "✕ exited",
  paused: "⏸ paused",
  created: "· not started",
  restarting: "↻ restarting",
  removed: "✕ removed",
};

/**
 * The status a person reads: a table of peers, the live overlay drawn, the partitions, the
 * network faults in force and the links they cut (marked ✂ among the neighbours, left out of the
 * drawing: the peers report them up until their heartbeat times out, but nothing crosses).
 */
export function renderSnapshot(snapshot: LabSnapshot, c: Colors): string[] {
  const state = (peer: LabSnapshot["peers"][number]): string => {
    const text = describeStatus(peer);
    if (peer.status === "running") return c.green(text);
    if (peer.status === "paused") return c.yellow(text);
    return c.red(text);
  };
  const cut = snapshot.overlay.cut;
  const neighbor = (peer: string, other: string): string =>
    cut.some((link) => (link.from === peer && link.to === other) || (link.from === other && link.to === peer))
      ? c.red(`${other} ✂`)
      : other;
  const rows = [
    [c.bold("PEER"), c.bold("STATE"), c.bold("NEIGHBOURS")],
    ...snapshot.peers.map((peer) => [
      peer.name,
      state(peer),
      `${peer.neighbors.length ? peer.neighbors.map((other) => neighbor(peer.name, other)).join(", ") : c.dim("—")}${peer.linkSource === "events" ? "" : c.dim(` (${linkSourceLabel(peer.linkSource)})`)}`,
    ]),
  ];
  const nodes = snapshot.peers.map((peer) => ({
    name: peer.name,
    ...(MARK[peer.status] ? { mark: MARK[peer.status]! } : {}),
  }));
  const partitions = snapshot.overlay.partitions;
  return [
    snapshot.description
      ? `${c.bold(`lab ${snapshot.lab}`)} ${c.dim(`— ${visible(snapshot.description)}`)}`
      : c.bold(`lab ${snapshot.lab}`),
    "",
    ...table(rows),
    "",
    ...drawGraph(nodes, snapshot.overlay.links).map((line) => `  ${line}`),
    "",
    partitions.length === 0
      ? c.red("no live peers")
      : `${partitions.length > 1 ? c.yellow(`${partitions.length} partitions`) : "1 partition"}: ${partitionsText(partitions)}`,
    ...describeNetworkState(snapshot.network).map((fault) => c.yellow(`network: ${fault}`)),
    ...(cut.length
      ? [
          `${c.red(`cut: ${cut.map(pairText).join(", ")}`)} ${c.dim("(dropped by the network; reported up until the heartbeat times out)")}`,
        ]
      : []),
    ...renderLinkSourceWarnings(snapshot, c),
    ...renderJournalWarning(snapshot.journal, c),
  ];
}

/** A line per peer whose links are its configured ones because its TCP table could not be read. */
function renderLinkSourceWarnings(snapshot: LabSnapshot, c: Colors): string[] {
  return snapshot.peers
    .filter((peer) => peer.linkSource === "configured")
    .map((peer) =>
      c.yellow(
        `warning: ${peer.name}'s links shown are its configured links to running peers, a guess: ${visible(peer.linkSourceReason ?? "its TCP table was not read")}`,
      ),
    );
}

/** A line when the journal is not running (nothing otherwise). */
export function renderJournalWarning(journal: JournalState, c: Colors): string[] {
  const problem = journalProblem(journal);
  return problem ? [c.red(`warning: ${problem}`)] : [];
}

/** "links back: alice–bob" and one line per link that is not, with why. */
export function renderLinksBack(links: LinkBack[], c: Colors): string[] {
  const back = links.filter((link) => link.back);
  return [
    ...(back.length ? [`links back: ${back.map(describeLinkBack).join(", ")}`] : []),
    ...links.filter((link) => !link.back).map((link) => c.yellow(`not back: ${describeLinkBack(link)}`)),
  ];
}

export function renderPartitionChange(before: string[][], after: string[][], c: Colors): string {
  const was = partitionsText(before);
  const now = partitionsText(after);
  return was === now ? `partitions unchanged: ${now}` : `partitions: ${c.dim(was)} → ${c.bold(now)}`;
}

/** Who received a message `lab send` typed, and who should have. */
export function renderSendResult(result: SendResult, c: Colors): string[] {
  const { peer } = result;
  const others = result.receivedBy.filter((name) => name !== peer);
  const missed = result.reachable.filter((name) => !others.includes(name));
  return [
    `${peer} sent "${visible(result.text)}" ${c.dim(`(${visible(result.id)})`)}`,
    `  received by: ${others.length ? c.green(others.join(", ")) : c.yellow("nobody")}`,
    ...(result.receivedBy.includes(peer)
      ? [c.yellow(`  ${peer} received its own message back: the topology has a cycle`)]
      : []),
    ...(missed.length ? [c.red(`  not received by ${missed.join(", ")}, though reachable when it was sent`)] : []),
    ...(result.reachable.length === 0 ? [c.dim(`  (${peer} had no live path to anyone)`)] : []),
  ];
}
