import type { PeerEvent } from "../../../peer/src/events.js";
import { InputError, LabError } from "../errors.js";
import {
  latestLinkRecords,
  liveOverlay,
  peerStatus,
  reportedNeighbors,
  type Overlay,
  type PeerState,
} from "../check/overlay.js";
import { networkStateAfter } from "../check/timeline-state.js";
import type { NetworkState } from "../faults/network-faults.js";
import { LABEL, readMember, readTopology, type Reading } from "../plan/labels.js";
import { SpreadRuntime } from "../runtime/spread-runtime.js";
import type { ContainerEvent, ContainerInfo, Runtime } from "../runtime/runtime.js";
import { didYouMean } from "../did-you-mean.js";
import { DNS_NAME, type Topology } from "../topology/schema.js";
import { engineRecords } from "../transcript/engine.js";
import { encodeAction, mergeActions, parseAction, type Action, type JournalState } from "../transcript/journal.js";
import {
  encodeLinkRecord,
  mergeLinkRecords,
  parseLinkRecord,
  type LinkRecord,
  type LinkSource,
} from "../transcript/link-records.js";
import {
  mergeTimeline,
  peerLineReader,
  typedLines,
  type LabRecording,
  type PeerLine,
  type TimelineRecord,
} from "../transcript/transcript.js";
import { EngineWatch } from "./engine-watch.js";
import {
  LinkRecorder,
  LinkWatch,
  linkObservedPeers,
  type ObserveOptions,
  type RecordedLinks,
} from "./observe-links.js";

export interface LabSummary {
  name: string;
  /** Absent when the topology has none. */
  description?: string;
  peers: number;
  running: number;
}

export interface LabContainers {
  peers: Map<string, ContainerInfo>;
  journal?: ContainerInfo;
  /** Containers carrying the lab's label that lab did not make as they are: ignored, each with why. */
  refused: string[];
}

export interface PeerView extends PeerState {
  /** Neighbours as the peer itself reports them, or as lab observed them (empty when it is not running). */
  neighbors: string[];
  /** Where its links come from: its own events, its TCP table, or its configured links. */
  linkSource: LinkSource;
  /** With "configured": why its TCP table could not be read. */
  linkSourceReason?: string;
}

export interface LabSnapshot {
  lab: string;
  /** Absent when the topology has none. */
  description?: string;
  peers: PeerView[];
  /** The network faults in force, from the journal's actions. */
  network: NetworkState;
  /** The live overlay with those faults: links they drop are listed apart, as cut. */
  overlay: Overlay;
  /** Anything but "running" means lab's actions are no longer (all) recorded. */
  journal: JournalState;
}

/**
 * What a lab followed live knows without asking the engine (RecordingFollower, while `lab run`'s
 * scenario runs): the lab's reads are answered from it, so a step costs the engine what it touches.
 */
export interface LabView {
  containers(): LabContainers;
  recording(): LabRecording;
  snapshot(recording?: LabRecording): LabSnapshot;
  /** What an inspect of a peer's container just said, made after lab changed it. */
  inspected(peer: string, info: ContainerInfo): void;
  /** When (ms, this process's clock) a peer last printed a line; 0 before any. */
  lastOutputAt(): number;
}

/**
 * A running lab, found through its labels: any shell can pick it up. The topology it was
 * started from rides on its network's label.
 */
export class Lab {
  /** Every action this process did, kept here too: the journal container can be removed under us. */
  private readonly own: Action[] = [];
  /** Every link record this process wrote, kept for the same reason. */
  private readonly ownLinks: LinkRecord[] = [];
  private engineWatch: EngineWatch | undefined;
  /** The peers whose links the lab reads from their TCP tables (observe-links.ts decides which). */
  readonly linkObserved: readonly string[];
  private linkRecorder: LinkRecorder | undefined;
  private linkWatch: LinkWatch | undefined;
  private view: LabView | undefined;

  private constructor(
    readonly runtime: Runtime,
    readonly name: string,
    readonly topology: Topology,
  ) {
    this.linkObserved = linkObservedPeers(topology, process.env);
  }

  /**
   * The names of the labs on this engine, from their networks and containers; a label no lab name
   * can be is not a lab. Two list requests, however many labs and containers there are.
   */
  static async names(runtime: Runtime): Promise<string[]> {
    const [networks, containers] = await Promise.all([
      runtime.listNetworks({ [LABEL.lab]: "" }),
      runtime.listContainerSummaries({ [LABEL.lab]: "" }),
    ]);
    return labNames(networks, containers);
  }

  /** Whether anything on the engine carries this lab's label: two requests filtered by it at the engine. */
  static async exists(runtime: Runtime, name: string): Promise<boolean> {
    const [networks, containers] = await Promise.all([
      runtime.listNetworks({ [LABEL.lab]: name }),
      runtime.listContainerSummaries({ [LABEL.lab]: name }),
    ]);
    return networks.length + containers.length > 0;
  }

  /**
   * The lab named, or the only lab when none is named. A named lab whose network carries its
   * topology is found by that network alone (one request filtered by the lab's label at the
   * engine): other labs cost nothing. The other labs are listed only to say what went wrong.
   */
  static async find(runtime: Runtime, name?: string): Promise<Lab> {
    if (name !== undefined) {
      const topology = await topologyOf(runtime, name);
      if (topology?.ok) return new Lab(runtime, name, topology.value);
    }
    const names = await Lab.names(runtime);
    if (name === undefined) {
      if (names.length === 0)
        throw new InputError("no lab is running on this engine", "start one: lab up topologies/chain.yaml");
      if (names.length > 1)
        throw new InputError(
          `several labs are running: ${names.join(", ")}`,
          "name one: as the argument of status, watch, ui, transcripts and down (lab status NAME), else with --lab NAME",
        );
      name = names[0]!;
    }
    if (!names.includes(name)) {
      const known = names.length ? `running labs: ${names.join(", ")}` : "no lab is running";
      throw new InputError(`no lab named "${name}" on this engine (${known})`, didYouMean(name, names) ?? "see lab ls");
    }
    const topology = await topologyOf(runtime, name);
    if (!topology) {
      throw new InputError(
        `lab "${name}" has no network carrying its topology (an interrupted up?)`,
        `remove it with lab down ${name}`,
      );
    }
    if (!topology.ok) {
      throw new InputError(
        topology.problem,
        `lab up did not write it so; lab down ${name} removes the lab without saving its transcripts`,
      );
    }
    return new Lab(runtime, name, topology.value);
  }

  /** Every lab with its peer counts, from two list requests: no container is inspected. */
  static async list(runtime: Runtime): Promise<LabSummary[]> {
    const [networks, containers] = await Promise.all([
      runtime.listNetworks({ [LABEL.lab]: "" }),
      runtime.listContainerSummaries({ [LABEL.lab]: "" }),
    ]);
    return labNames(networks, containers).map((name) => {
      const peers = containers.filter((c) => c.labels[LABEL.lab] === name && c.labels[LABEL.role] === "peer");
      const topology = readTopology(
        networks.filter((n) => n.labels[LABEL.lab] === name),
        name,
      );
      return {
        name,
        description: !topology
          ? "(incomplete: no topology label)"
          : topology.ok
            ? topology.value.description
            : "(topology label refused: see lab status)",
        peers: peers.length,
        running: peers.filter((c) => c.state === "running").length,
      };
    });
  }

  get peerNames(): string[] {
    return this.topology.peers.map((peer) => peer.name);
  }

  /**
   * Answers the lab's reads from `view` until `unfollow`, instead of the engine: the containers,
   * the recording and the snapshot. What changes a peer tells the view what the engine then says
   * of it (`changed`).
   */
  follow(view: LabView): void {
    this.view = view;
  }

  unfollow(): void {
    this.view = undefined;
  }

  /** When a peer last printed, as the view followed it; undefined when no view follows the lab. */
  lastOutputAt(): number | undefined {
    return this.view?.lastOutputAt();
  }

  /**
   * After lab changed a peer's container (a fault): the view is told what the engine now says of
   * it, one inspect, so the next look sees it at once. Without a view the next read asks anyway.
   */
  async changed(peer: string, id: string): Promise<void> {
    if (this.view) this.view.inspected(peer, await this.runtime.inspect(id));
  }

  async containers(): Promise<LabContainers> {
    if (this.view) return this.view.containers();
    const found = await this.runtime.listContainers({ [LABEL.lab]: this.name });
    const peers = new Map<string, ContainerInfo>();
    let journal: ContainerInfo | undefined;
    const refused: string[] = [];
    for (const container of found) {
      const member = readMember(container, this.topology);
      if (!member.ok) refused.push(member.problem);
      else if (member.value.role === "journal") journal = container;
      else if (member.value.role === "peer") peers.set(member.value.peer, container);
    }
    return { peers, ...(journal ? { journal } : {}), refused };
  }

  /**
   * The container of a named peer, asked of the engine by its labels (the rest of the lab is not
   * read); an unknown name is the user's mistake, said with the names there are.
   */
  async peer(name: string): Promise<ContainerInfo> {
    const found = await this.runtime.listContainers({
      [LABEL.lab]: this.name,
      [LABEL.role]: "peer",
      [LABEL.peer]: name,
    });
    const container = found.find((candidate) => {
      const member = readMember(candidate, this.topology);
      return member.ok && member.value.role === "peer" && member.value.peer === name;
    });
    if (container) {
      this.view?.inspected(name, container);
      return container;
    }
    const { peers } = await this.containers();
    const known = this.peerNames.filter((peer) => peers.has(peer));
    throw new InputError(
      `unknown peer "${name}" in lab ${this.name} (known: ${known.join(", ")})`,
      didYouMean(name, known),
    );
  }

  /** The journal's container (as followed, while a view follows the lab); undefined when there is none. */
  async journalContainer(): Promise<ContainerInfo | undefined> {
    return this.view ? this.view.containers().journal : this.engineJournal();
  }

  /** The journal's container alone, asked of the engine by its labels; undefined when there is none. */
  async engineJournal(): Promise<ContainerInfo | undefined> {
    const found = await this.runtime.listContainers({ [LABEL.lab]: this.name, [LABEL.role]: "journal" });
    return found.find((candidate) => {
      const member = readMember(candidate, this.topology);
      return member.ok && member.value.role === "journal";
    });
  }

  /** The actions and link records this process journalled, kept in case the journal is removed. */
  recordedHere(): { actions: readonly Action[]; links: readonly LinkRecord[] } {
    return { actions: this.own, links: this.ownLinks };
  }

  /** Journals an action; `ts` is when it began (default: now). */
  async record(action: Omit<Action, "ts"> & { ts?: string }): Promise<void> {
    const full: Action = { ts: new Date().toISOString(), ...action };
    this.own.push(full);
    await this.journal(encodeAction(full));
  }

  /** Journals a change of a peer's links as lab observed it. */
  async recordLinks(record: LinkRecord): Promise<void> {
    this.ownLinks.push(record);
    await this.journal(encodeLinkRecord(record));
  }

  private async journal(line: string): Promise<void> {
    const journal = await this.journalContainer();
    if (journal?.state !== "running") return;
    try {
      await this.runtime.writeLine(journal.id, line);
    } catch (error) {
      // Removed or stopped between the look and the write: status and the report say so.
      if (!(error instanceof LabError) || journalState(await this.engineJournal()) === "running") throw error;
    }
  }

  /**
   * Observes the links of the peers that report none (`linkObserved`) once, and journals each
   * change: status and watch call it at each look. Asks the engine nothing when every peer
   * reports its own links.
   */
  async recordObservedLinks(options: ObserveOptions = {}): Promise<RecordedLinks> {
    if (this.linkObserved.length === 0) return { written: [], latest: [] };
    this.linkRecorder ??= new LinkRecorder(this, this.linkObserved);
    return this.linkRecorder.poll(options);
  }

  /** Observes those links in the background until `stopWatchingLinks`: `lab run` does, for the whole scenario. */
  watchLinks(): void {
    if (this.linkWatch || this.linkObserved.length === 0) return;
    this.linkRecorder ??= new LinkRecorder(this, this.linkObserved);
    this.linkWatch = new LinkWatch(this.linkRecorder);
  }

  /** Ends the background observation; throws what made a poll fail, once. */
  async stopWatchingLinks(): Promise<void> {
    const watch = this.linkWatch;
    this.linkWatch = undefined;
    await watch?.close();
  }

  /** The actions in the journal, with those this process did, by time. */
  async actions(): Promise<Action[]> {
    const journal = await this.journalContainer();
    return mergeActions(journal ? (await this.journalled(journal)).actions : [], this.own);
  }

  /** The link records in the journal, with those this process wrote. */
  async linkRecords(): Promise<LinkRecord[]> {
    const journal = await this.journalContainer();
    return mergeLinkRecords(journal ? (await this.journalled(journal)).links : [], this.ownLinks);
  }

  /** The journal's actions and link records. */
  private async journalled(journal: ContainerInfo): Promise<Journalled> {
    const journalled: Journalled = { actions: [], links: [] };
    for await (const line of this.runtime.logs(journal.id, { follow: false })) readJournalLine(line.text, journalled);
    return journalled;
  }

  /**
   * Follows the engine's container events until `stopWatchingEngine`, so a long run keeps every
   * one of them: the engine itself remembers only its latest few hundred events.
   */
  async watchEngine(): Promise<void> {
    if (this.engineWatch) return;
    const { peers } = await this.containers();
    this.engineWatch = new EngineWatch(this.runtime, this.peerLabels(), createdSince(peers));
  }

  async stopWatchingEngine(): Promise<void> {
    await this.engineWatch?.close();
    this.engineWatch = undefined;
  }

  /**
   * The engine's container events for this lab's peers: as followed while watching; otherwise
   * replayed, with what a watch that broke off had already seen.
   */
  private async containerEvents(peers: Map<string, ContainerInfo>): Promise<ContainerEvent[]> {
    if (this.engineWatch?.following) return this.engineWatch.events;
    const events = new Map((this.engineWatch?.events ?? []).map((event) => [eventKey(event), event]));
    for await (const event of this.runtime.containerEvents(this.peerLabels(), {
      since: createdSince(peers),
      until: new Date().toISOString(),
    })) {
      events.set(eventKey(event), event);
    }
    return [...events.values()];
  }

  private peerLabels(): Record<string, string> {
    return { [LABEL.lab]: this.name, [LABEL.role]: "peer" };
  }

  /**
   * Every peer's lines, read through its interface (a stdio program's process starts told by the
   * engine's start events), with the chat lines lab typed into programs that echo none; the
   * lab's actions; the engine's container changes; the links lab observed.
   */
  async recording(): Promise<LabRecording> {
    if (this.view) return this.view.recording();
    return this.recordingOf(await this.containers());
  }

  /** The recording of the lab's containers as read once: a snapshot reads them once for both. */
  private async recordingOf({ peers, journal }: LabContainers): Promise<LabRecording> {
    const containerEvents = await this.containerEvents(peers);
    const journalled = journal ? await this.journalled(journal) : { actions: [], links: [] };
    const actions = mergeActions(journalled.actions, this.own);
    const typed = typedLines(this.topology, actions);
    const lines = new Map<string, PeerLine[]>();
    await Promise.all(
      this.peerNames.map(async (peer) => {
        const container = peers.get(peer);
        if (!container) return;
        const starts = [
          container.startedAt,
          ...containerEvents.flatMap((event) =>
            event.id === container.id && event.change === "start" ? [event.ts] : [],
          ),
        ];
        const reader = peerLineReader(this.topology, peer, starts);
        const collected: PeerLine[] = [];
        for await (const line of this.runtime.logs(container.id, { follow: false })) collected.push(reader.read(line));
        lines.set(
          peer,
          mergeByTime(
            collected,
            typed.filter((line) => line.peer === peer),
          ),
        );
      }),
    );
    return {
      lines: new Map(this.peerNames.filter((peer) => lines.has(peer)).map((peer) => [peer, lines.get(peer)!])),
      actions,
      engine: engineRecords(containerEvents, peers),
      links: mergeLinkRecords(journalled.links, this.ownLinks),
      journal: journalState(journal),
    };
  }

  async snapshot(recording?: LabRecording): Promise<LabSnapshot> {
    if (this.view) return this.view.snapshot(recording);
    const containers = await this.containers();
    const { peers, journal } = containers;
    const recorded = recording ?? (await this.recordingOf(containers));
    return snapshotOf(
      this.topology,
      peers,
      [...recordingEvents(recorded), ...recorded.links],
      networkStateAfter(recorded.actions),
      journalState(journal),
    );
  }
}

/** What the journal's log holds: the lab's actions and the links it observed. */
export interface Journalled {
  actions: Action[];
  links: LinkRecord[];
}

/** One line of the journal's log, kept in `into` when it is an action or a link record. */
export function readJournalLine(text: string, into: Journalled): void {
  const action = parseAction(text);
  if (action) into.actions.push(action);
  const observed = action ? undefined : parseLinkRecord(text);
  if (observed) into.links.push(observed);
}

export function journalState(journal: ContainerInfo | undefined): JournalState {
  if (!journal) return "missing";
  return journal.state === "running" ? "running" : "stopped";
}

function eventKey(event: ContainerEvent): string {
  return `${event.id}\u0000${event.change}\u0000${event.ts}`;
}

/** The earliest creation time of the lab's peers: the engine's events before it are not this lab's. */
export function createdSince(peers: Map<string, ContainerInfo>): string {
  const times = [...peers.values()].map((info) => Date.parse(info.createdAt)).filter(Number.isFinite);
  return new Date(times.length ? Math.min(...times) : Date.now()).toISOString();
}

/** The lab names that labels carry, each once, sorted; a label no lab name can be is not a lab. */
function labNames(...labelled: Array<Array<{ labels: Record<string, string> }>>): string[] {
  const names = labelled
    .flat()
    .map((item) => item.labels[LABEL.lab]!)
    .filter((name) => DNS_NAME.test(name));
  return [...new Set(names)].sort();
}

/**
 * The topology a lab was started from, from its network's label; undefined when there is none.
 * A lab on several engines: the clock offsets `up` measured, kept in it, put every engine's
 * times on the lab's clock from now on.
 */
async function topologyOf(runtime: Runtime, lab: string): Promise<Reading<Topology> | undefined> {
  const topology = readTopology(await runtime.listNetworks({ [LABEL.lab]: lab }), lab);
  const offsets = topology?.ok ? topology.value.clockOffsets : undefined;
  if (offsets && runtime instanceof SpreadRuntime) runtime.useClockOffsets(offsets);
  return topology;
}

/** Two lists of one peer's lines, each in time order, as one (stable: a printed line before a typed one of the same time). */
export function mergeByTime(printed: PeerLine[], typed: PeerLine[]): PeerLine[] {
  if (typed.length === 0) return printed;
  return [...printed, ...typed]
    .map((line, index) => ({ line, index }))
    .sort((a, b) => a.line.ts.localeCompare(b.line.ts) || a.index - b.index)
    .map(({ line }) => line);
}

/** Every peer event of a recording, peer by peer. */
export function recordingEvents(recording: LabRecording): PeerEvent[] {
  return [...recording.lines.values()].flat().flatMap((line) => (line.event ? [line.event] : []));
}

/** A recording's peer events, actions, engine records and observed links merged by time. */
export function recordingTimeline(recording: LabRecording): TimelineRecord[] {
  return mergeTimeline(recordingEvents(recording), recording.actions, recording.engine, recording.links);
}

/** Pure: container states, peer events, the links lab observed and the network faults in force → what `status` shows. */
export function snapshotOf(
  topology: Topology,
  containers: Map<string, ContainerInfo>,
  events: Array<PeerEvent | LinkRecord>,
  network: NetworkState,
  journal: JournalState,
): LabSnapshot {
  const order = topology.peers.map((peer) => peer.name);
  const states: PeerState[] = topology.peers.map((peer) => ({
    name: peer.name,
    ...peerStatus(containers.get(peer.name)),
  }));
  const ordered = [...events].sort((a, b) => a.ts.localeCompare(b.ts));
  const reported = reportedNeighbors(ordered);
  const observed = latestLinkRecords(ordered);
  return {
    lab: topology.name,
    description: topology.description,
    peers: states.map((state) => {
      const record = observed.get(state.name);
      return {
        ...state,
        neighbors: state.status === "running" ? order.filter((name) => reported.get(state.name)?.has(name)) : [],
        linkSource: record?.source ?? "events",
        ...(record?.reason === undefined ? {} : { linkSourceReason: record.reason }),
      };
    }),
    network,
    overlay: liveOverlay(states, reported, network),
    journal,
  };
}
