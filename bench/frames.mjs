// Frames per broadcast, per mode, on a grid (several cycles): every frame a peer receives is a
// `recv` (shown) or a `dup` (dedup mode: a repeat dropped), so frames = recv + dup for the
// message's id over every transcript. `hop-limit` is counted apart: it follows the `recv` of the
// same frame. Tree mode floods every cycle until the hop limit, so its limit is the grid's diameter
// (every peer reachable, the storm finite); dedup mode keeps the default. Heal mode's first
// broadcast floods as dedup's does, and its duplicates prune the links to a spanning tree
// (Plumtree): it is sent before the others and reported apart (`firstFrames`), so the figures are
// the steady state's.
import { join } from "node:path";
import { PREFIX, grid, lab, linkCount, stats, transcriptEvents, writeTopology } from "./harness.mjs";

export async function measureFrames({ rows, columns, broadcasts, dir }) {
  const peers = grid(rows, columns);
  const treeHopLimit = rows + columns - 2;
  const result = { peers: peers.length, links: linkCount(peers), treeHopLimit, modes: {} };
  for (const mode of ["tree", "dedup", "heal"]) {
    const name = `${PREFIX}-frames-${mode}`;
    const results = join(dir, `${name}-results`);
    await lab(
      "up",
      writeTopology(dir, name, peers, mode === "tree" ? { mode, hopLimit: treeHopLimit } : { mode }),
      "--results",
      results,
    );
    const ids = [];
    const send = async (text) => JSON.parse((await lab("send", "p1", text, "--lab", name, "--json")).stdout).id;
    let first;
    try {
      if (mode === "heal") first = await send("frames-first");
      // Each `lab send` returns once the lab is quiet again: the broadcasts do not overlap.
      for (let i = 0; i < broadcasts; i++) ids.push(await send(`frames-${i}`));
    } finally {
      await lab("down", name, "--results", results);
    }
    const events = transcriptEvents(results);
    const count = (id, kinds) => events.filter((event) => event.id === id && kinds.includes(event.ev)).length;
    result.modes[mode] = {
      broadcasts,
      framesPerBroadcast: stats(ids.map((id) => count(id, ["recv", "dup"]))),
      shownPerBroadcast: stats(ids.map((id) => count(id, ["recv"]))),
      hopLimitPerBroadcast: stats(ids.map((id) => count(id, ["hop-limit"]))),
      ...(first === undefined ? {} : { firstFrames: count(first, ["recv", "dup"]) }),
    };
  }
  return result;
}
