import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../../peer/src/duration.js";
import { parseRunReport, type Forward, type MessageResult, type RunReport } from "../check/run-report.js";
import { CLASS_MEANING, DELIVERY_CLASSES } from "../delivery/delivery-classes.js";
import { renderHtml } from "./html.js";
import { cellText, costLines, renderMarkdown } from "./markdown.js";

const FIXTURE = new URL("./fixtures/chain-killed-bridge.json", import.meta.url);

/** A fresh copy each time, so a test may edit it: the summary lab run wrote for a hand-written run (see fixtures/). */
function fixture(): RunReport {
  const parsed = parseRunReport(JSON.parse(readFileSync(FIXTURE, "utf8")));
  if (!parsed.ok) throw new Error(`the fixture is no summary: ${parsed.problem}`);
  return parsed.report;
}

/** Whether a peer's lane in the sequence diagram has a dashed (down) stretch. */
function laneIsDashed(page: string, peer: string): boolean {
  const x = new RegExp(`<text x="([\\d.]+)" y="\\d+" text-anchor="middle" class="lane-name">${peer}</text>`).exec(
    page,
  )![1]!;
  return new RegExp(`<line x1="${x}" y1="[\\d.]+" x2="${x}" y2="[\\d.]+" class="lane down"/>`).test(page);
}

/** The fixture as if its journal had been removed and dave had died behind lab's back. */
function withEngineDeath(report: RunReport): RunReport {
  return {
    ...report,
    journal: "missing",
    outsideLab: [
      {
        ts: "2025-03-14T10:00:08.500Z",
        peer: "engine",
        ev: "container",
        target: "dave",
        change: "die",
        exitCode: 137,
        source: "events",
      },
    ],
  };
}

function withText(report: RunReport, id: string, text: string): RunReport {
  const message = report.messages.find((m) => m.id === id)!;
  message.text = text;
  return report;
}

/** The lines of the markdown table under `## Delivery matrix`. */
function matrixRows(markdown: string): string[][] {
  const section = markdown.split("## Delivery matrix")[1]!.split("\n## ")[0]!;
  const lines = section.split("\n").filter((line) => line.startsWith("|"));
  // Cells split on unescaped pipes only.
  return lines.slice(2).map((line) =>
    line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
}

describe("a run of a topology without a description", () => {
  it("renders without one: no quote under the title, no description paragraph", () => {
    const { description, ...report } = fixture();
    expect(renderMarkdown(fixture())).toContain(`> ${description}`);
    const markdown = renderMarkdown(report);
    expect(markdown.split("\n").filter((line) => line.startsWith("> "))).toEqual([]);
    expect(renderHtml(report)).not.toContain('<p class="description">');
    expect(renderHtml(fixture())).toContain('<p class="description">');
  });
});

describe("cellText", () => {
  it("says what happened in a few characters", () => {
    expect(cellText({ class: "delivered", count: 1, latencyMs: 12, hops: 2 }, false)).toBe("✓ 12ms/2h");
    expect(cellText({ class: "late", count: 1, latencyMs: 2310, hops: 1 }, false)).toBe("late 2.3s");
    expect(cellText({ class: "missing", count: 0 }, false)).toBe("✗ missing");
    expect(cellText({ class: "duplicated", count: 2, latencyMs: 5, hops: 1 }, false)).toBe("2× dup");
    expect(cellText({ class: "unexpected", count: 1, latencyMs: 40, hops: 2 }, false)).toBe("unexpected");
    expect(cellText({ class: "unreachable", count: 0 }, false)).toBe("·");
  });

  it("marks the origin's own cell as the sender unless it showed the message again", () => {
    expect(cellText({ class: "delivered", count: 1, latencyMs: 0, hops: 0 }, true)).toBe("sender");
    expect(cellText({ class: "duplicated", count: 3 }, true)).toBe("3× dup");
  });

  it("formats durations for cells and figures", () => {
    expect([
      formatDuration(0),
      formatDuration(12.4),
      formatDuration(999),
      formatDuration(2310),
      formatDuration(4000),
      formatDuration(65_000),
    ]).toEqual(["0ms", "12ms", "999ms", "2.3s", "4s", "1m05s"]);
  });
});

describe("renderMarkdown", () => {
  it("shows control characters from peers escaped, so printing report.md cannot drive a terminal", () => {
    const report = fixture();
    report.messages[0]!.text = "evil\u001b[2Jcleared\rfaked";
    report.expectations[0]!.detail = "line one\nsaw \u001b]0;title\u0007 here";
    const markdown = renderMarkdown(report);
    expect(markdown).not.toMatch(/[\u001b\u0007\r]/);
    expect(markdown).toContain("evil\\\\x1b\\[2Jcleared\\\\rfaked");
    expect(markdown).toContain("line one\nsaw \\x1b]0;title\\x07 here");
  });

  it("puts the verdict in the title and lists the reasons", () => {
    const markdown = renderMarkdown(fixture());
    expect(markdown.split("\n")[0]).toBe("# ✗ FAIL: chain-killed-bridge");
    expect(markdown).toContain("## Why it failed");
    expect(markdown).toContain("- 1 missing delivery (check level: fail)");
    expect(renderMarkdown({ ...fixture(), verdict: "pass", reasons: [] }).split("\n")[0]).toBe(
      "# ✓ PASS: chain-killed-bridge",
    );
  });

  it("has one matrix row per message, one column per peer, and every class's text", () => {
    const report = fixture();
    const rows = matrixRows(renderMarkdown(report));
    expect(rows).toHaveLength(report.messages.length);
    for (const row of rows) expect(row).toHaveLength(report.peers.length + 1);
    expect(rows[0]).toEqual(["alice: hello (alice:1)", "sender", "✓ 12ms/1h", "✓ 25ms/2h", "✓ 38ms/3h"]);
    expect(rows[1]).toEqual(["bob: bob here (bob:1)", "✓ 11ms/1h", "sender", "2× dup", "unexpected"]);
    expect(rows[2]).toEqual(["carol: ping (carol:1)", "✗ missing", "✓ 10ms/1h", "sender", "late 2.3s"]);
    expect(rows[3]).toEqual(["alice: anyone? (alice:2)", "sender", "·", "·", "·"]);
  });

  it("shows expectations with ✓/✗, the failing detail open in a fenced block", () => {
    const markdown = renderMarkdown(fixture());
    expect(markdown).toContain('| 4 | ✗ | "ping" from carol reaches alice, bob, dave within 2s |');
    expect(markdown).toContain(
      '<details open><summary>step 4 ✗ "ping" from carol reaches alice, bob, dave within 2s</summary>',
    );
    expect(markdown).toContain("```text\nexpected: alice, bob, dave show carol:1");
  });

  it("shows checker levels, latency, snapshots as partitions and the actions", () => {
    const markdown = renderMarkdown(fixture());
    expect(markdown).toContain("| missing | 1 | **fail** ✗ |");
    expect(markdown).toContain("| late | 1 | warn |");
    expect(markdown).toContain("| 7 | 345ms | 12ms | 2.3s | 2.3s |");
    expect(markdown).toContain(
      "### after kill bob (+6.850s)\n\n- partitions: {alice} {carol, dave}\n- not running: bob (killed)",
    );
    expect(markdown).toContain("- +6.000s lab kill bob: SIGKILL");
  });

  it("words partitions as the CLI does, a lab with no live peer included", () => {
    const report = fixture();
    report.snapshots[1]!.partitions = [];
    expect(renderMarkdown(report)).toContain("- partitions: (no live peers)\n");
    expect(renderHtml(report)).toContain('<span class="partitions">partitions: (no live peers)</span>');
  });

  it("says when the journal was lost and lists the container changes lab did not make", () => {
    const markdown = renderMarkdown(withEngineDeath(fixture()));
    expect(markdown).toContain(
      "> **Journal:** the lab's journal container is missing (removed): every action it recorded is lost;",
    );
    expect(markdown).toContain("## Outside lab's control");
    expect(markdown).toContain("- +8.500s engine: dave died (exit 137)");
    const clean = renderMarkdown(fixture());
    expect(clean).not.toContain("**Journal:**");
    expect(clean).toContain("None: every container change the engine saw was lab's own.");
  });

  it("keeps peer text from becoming markup or breaking the table", () => {
    const markdown = renderMarkdown(withText(fixture(), "alice:1", "<script>alert(1)</script> a|b **x** `y`"));
    expect(markdown).not.toContain("<script>");
    const rows = matrixRows(markdown);
    expect(rows[0]![0]).toBe("alice: &lt;script&gt;alert(1)&lt;/script&gt; a\\|b \\*\\*x\\*\\* \\`y\\` (alice:1)");
    expect(rows[0]).toHaveLength(5);
  });
});

describe("link sources", () => {
  /** The fixture as if lab had observed bob's links and guessed carol's. */
  function observed(): RunReport {
    return {
      ...fixture(),
      linkSources: {
        alice: { source: "events" },
        bob: { source: "tcp-table" },
        carol: { source: "configured", reason: "cannot read <tables>" },
        dave: { source: "events" },
      },
    };
  }

  it("says where each peer's links came from, in both reports", () => {
    expect(renderMarkdown(fixture())).toContain("- **Links from:** own link events: alice, bob, carol, dave\n");
    expect(renderMarkdown(observed())).toContain(
      "- **Links from:** own link events: alice, dave; TCP table: bob; configured links: carol\n",
    );
    expect(renderHtml(observed())).toContain(
      "<dt>links from</dt><dd>own link events: alice, dave; TCP table: bob; configured links: carol</dd>",
    );
  });

  it("says why a peer's links were a guess", () => {
    expect(renderMarkdown(fixture())).not.toContain("Links guessed");
    expect(renderMarkdown(observed())).toContain("carol: cannot read &lt;tables&gt;.");
    expect(renderHtml(observed())).toContain("<li>carol: cannot read &lt;tables&gt;</li>");
  });

  it("a summary from before lab said so still reads and renders, without the line", () => {
    const { linkSources: _, ...older } = fixture();
    expect(parseRunReport(JSON.parse(JSON.stringify(older)))).toMatchObject({ ok: true });
    expect(renderMarkdown(older)).not.toContain("Links from");
    expect(renderHtml(older)).not.toContain("links from");
  });
});

describe("renderHtml", () => {
  const html = renderHtml(fixture());

  it("is one self-contained page: no external URL, no required script", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\((?!#)/i);
  });

  it("shows the verdict as a red FAIL or green PASS badge, with the reasons", () => {
    expect(html).toContain('<span class="badge fail">✗ FAIL</span>');
    expect(html).toContain("Why it failed");
    expect(html).toContain("<li>step 4 failed: &quot;ping&quot; from carol reaches alice, bob, dave within 2s</li>");
    expect(html).toContain("<li>1 duplicated delivery (check level: fail)</li>");
    const pass = renderHtml({ ...fixture(), verdict: "pass", reasons: [] });
    expect(pass).toContain('<span class="badge pass">✓ PASS</span>');
    expect(pass).not.toContain("Why it failed");
  });

  it("draws one topology per snapshot and a sequence diagram", () => {
    const report = fixture();
    expect(html.match(/<svg class="topology"/g)).toHaveLength(report.snapshots.length);
    expect(html.match(/<svg class="sequence"/g)).toHaveLength(1);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(report.snapshots.length + 1);
    expect(html).toContain("partitions: {alice} {carol, dave}");
  });

  it("colours dead peers grey with a cross and live links solid, configured ones dashed", () => {
    const afterKill = html.split('<svg class="topology"')[2]!.split("</svg>")[0]!;
    expect(afterKill).toContain("<title>bob: killed</title>");
    expect(afterKill).toMatch(/<title>bob: killed<\/title><circle [^>]*fill="#9ca3af"[^>]*\/><path d="M/);
    expect(afterKill.match(/class="live"/g)).toHaveLength(1);
    expect(afterKill.match(/class="configured"/g)).toHaveLength(2);
    expect(afterKill).toContain("<title>carol: running, partition 2</title>");
  });

  it("draws paused peers amber with a pause mark", () => {
    const report = fixture();
    report.snapshots[1]!.states.carol = "paused";
    report.snapshots[1]!.partitions = [["alice"], ["dave"]];
    const page = renderHtml(report);
    expect(page).toMatch(/<title>carol: paused<\/title><circle [^>]*fill="#f59e0b"[^>]*\/><rect /);
  });

  it("colours every delivery class in the matrix and marks the sender", () => {
    for (const klass of ["delivered", "late", "missing", "duplicated", "unexpected", "unreachable", "sender"]) {
      expect(html).toContain(`<td class="c-${klass}"`);
    }
    for (const text of ["✓ 12ms/1h", "late 2.3s", "✗ missing", "2× dup", "unexpected", ">·<", ">sender<"])
      expect(html).toContain(text);
    const matrix = html.split('<table class="matrix"')[1]!.split("</table>")[0]!;
    expect(matrix.split("<tbody>")[1]!.match(/<tr>/g)).toHaveLength(fixture().messages.length);
  });

  it("names every delivery class with its one meaning, in the legend and the checker's table", () => {
    for (const klass of DELIVERY_CLASSES) {
      expect(html).toContain(
        `<li><span class="chip c-${klass}">${klass}</span> ${CLASS_MEANING[klass].replace(/'/g, "&#39;")}</li>`,
      );
      expect(html).toContain(`<th scope="row"><span class="chip c-${klass}">${klass}</span></th>`);
      expect(renderMarkdown(fixture())).toMatch(new RegExp(`^\\| ${klass} \\| \\d+ \\|`, "m"));
    }
  });

  it("draws an arrow per forward, marked by kind, a dot per send and a band per non-send action", () => {
    const report = fixture();
    expect(html.match(/class="arrow (recv|dup|hop-limit)" marker-end/g)).toHaveLength(report.forwards.length);
    expect(html).toContain('class="arrow dup"');
    expect(html).toContain('class="arrow hop-limit"');
    expect(html.match(/<g class="send">/g)).toHaveLength(report.messages.length);
    expect(html).toContain("+6.000s  lab kill bob: SIGKILL");
    expect(html).toContain("⋯ 2s later");
  });

  it("marks the journal's loss and draws a death lab did not cause as a band, the lane dashed after it", () => {
    const page = renderHtml(withEngineDeath(fixture()));
    expect(page).toContain(
      '<div class="journal-warning"><h2>Journal</h2><p>the lab&#39;s journal container is missing (removed)',
    );
    expect(page).toContain("+8.500s  engine: dave died (exit 137), not by lab");
    expect(page).toContain('<li><span class="time">+8.500s</span> engine: dave died (exit 137)</li>');
    expect(laneIsDashed(page, "dave")).toBe(true);
    expect(html).not.toContain('<div class="journal-warning">');
    expect(laneIsDashed(html, "dave")).toBe(false);
    expect(laneIsDashed(html, "bob")).toBe(true);
  });

  it("caps the arrows and says how many were left out", () => {
    const report = fixture();
    const base = Date.parse(report.startedAt);
    report.forwards = Array.from({ length: 450 }, (_, i): Forward => ({
      id: "alice:1",
      from: i % 2 ? "bob" : "alice",
      to: i % 2 ? "carol" : "bob",
      at: new Date(base + 2000 + i).toISOString(),
      hops: 1,
      kind: "recv",
    }));
    const page = renderHtml(report);
    expect(page.match(/class="arrow recv" marker-end/g)).toHaveLength(400);
    expect(page).toContain("50 more not drawn");
  });

  it("shows expectations with the detail in a <pre>, latency figures and checker levels", () => {
    expect(html).toContain("4 of 5 held");
    expect(html).toMatch(
      /<li class="bad"><details open><summary><span class="mark">✗<\/span><span class="step">step 4<\/span>/,
    );
    expect(html).toContain("<pre>expected: alice, bob, dave show carol:1 &quot;ping&quot; within 2s of 10:00:04.500\n");
    expect(html).toContain('<div class="value">345ms</div><div class="name">mean</div>');
    expect(html).toContain('<span class="level fail failing">fail ✗</span>');
    expect(html).toContain('<span class="level warn">warn</span>');
  });

  it("escapes peer text everywhere it appears", () => {
    const report = withText(fixture(), "bob:1", `<script>alert("x")</script>`);
    report.expectations[1]!.detail += `\n<script>alert("x")</script>`;
    report.reasons.push(`<img src=x onerror=alert(1)>`);
    const page = renderHtml(report);
    expect(page).not.toContain("<script>");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });

  it("handles a large lab with a small layout, and an empty run", () => {
    const peers = Array.from({ length: 30 }, (_, i) => `p${i + 1}`);
    const message: MessageResult = {
      id: "p1:1",
      origin: "p1",
      text: "hi",
      sentAt: "2025-03-14T10:00:01.000Z",
      reachable: peers.slice(1),
      cells: Object.fromEntries(peers.map((peer) => [peer, { class: "delivered", count: 1, latencyMs: 5, hops: 1 }])),
    };
    const big: RunReport = {
      ...fixture(),
      peers,
      links: peers.slice(1).map((peer, i): [string, string] => [peers[i]!, peer]),
      snapshots: [
        {
          label: "before the run",
          at: "2025-03-14T10:00:00.500Z",
          states: Object.fromEntries(peers.map((p) => [p, "running"])),
          links: [],
          partitions: [peers],
        },
      ],
      messages: [message],
      forwards: [],
      actions: [],
    };
    const page = renderHtml(big);
    expect(page.match(/<circle [^>]*r="8"/g)!.length).toBe(30);
    expect(page).toContain('class="label small"');

    const empty: RunReport = {
      ...fixture(),
      snapshots: [],
      messages: [],
      forwards: [],
      expectations: [],
      actions: [],
      reasons: [],
      verdict: "pass",
    };
    expect(renderHtml(empty)).toContain("No messages were sent.");
    expect(renderMarkdown(empty)).toContain("No messages were sent.");
  });

  it("is deterministic", () => {
    expect(renderHtml(fixture())).toBe(html);
    expect(renderMarkdown(fixture())).toBe(renderMarkdown(fixture()));
  });
});

describe("a run with network faults", () => {
  const PARTITIONED = new URL("./fixtures/chain-partitioned.json", import.meta.url);
  const partitioned = (): RunReport => {
    const parsed = parseRunReport(JSON.parse(readFileSync(PARTITIONED, "utf8")));
    if (!parsed.ok) throw new Error(`the fixture is no summary: ${parsed.problem}`);
    return parsed.report;
  };
  const html = renderHtml(partitioned());
  const markdown = renderMarkdown(partitioned());
  const graph = (index: number): string => html.split('<svg class="topology"')[index + 1]!.split("</svg>")[0]!;

  it("draws a link the network cuts dashed red with ✂, not as a live or configured link", () => {
    const afterPartition = graph(1);
    expect(afterPartition.match(/class="cut"/g)).toHaveLength(1);
    expect(afterPartition).toContain("<title>cut bob ↔ carol: packets are dropped both ways</title>");
    expect(afterPartition).toMatch(/<line [^>]*class="cut"\/><text [^>]*class="cut-mark">✂<\/text>/);
    expect(afterPartition.match(/class="live"/g)).toHaveLength(2);
    expect(afterPartition).not.toContain('class="configured"');
    expect(graph(0)).not.toContain('class="cut"');
  });

  it("draws a one-way cut with an arrow toward the peer whose packets are dropped, its marker in its own graph", () => {
    const afterCut = graph(2);
    expect(afterCut).toContain('<marker id="cut-arrow-2"');
    expect(afterCut).toMatch(/class="cut" marker-end="url\(#cut-arrow-2\)"\/>/);
    expect(afterCut).toContain("<title>cut carol → dave (one way): carol&#39;s packets to dave are dropped</title>");
    expect(html).toContain("cut by the network: reported up, nothing crosses");
  });

  it("lists the network faults in force under each snapshot, and none when there are none", () => {
    const captions = html.split("<figcaption>").slice(1);
    expect(captions[0]).not.toContain('class="network"');
    expect(captions[1]).toContain(
      '<ul class="network"><li>network: partition {alice, bob} / {carol, dave}</li><li>network: loss 20% on carol to dave</li></ul>',
    );
    expect(markdown).toContain(
      "- cut by the network: bob ↔ carol, carol → dave (one way)\n- network: partition {alice, bob} / {carol, dave}\n- network: cut carol → dave (one way)\n- network: loss 20% on carol to dave\n",
    );
  });

  it("shows each network fault in words in the actions list", () => {
    expect(html).toContain("lab cut: cut carol → dave (one way)");
    expect(markdown).toContain("- +3.000s lab partition: partitioned the network: {alice, bob} / {carol, dave}");
  });

  it("has a detection table: the partition noticed by timeout, the one-way cut not before heal", () => {
    const table = html.split('<section id="detection">')[1]!.split("</section>")[0]!;
    expect(table).toContain(
      '<tr class="detected"><td><span class="time">+3.000s</span> lab partition: partitioned the network: {alice, bob} / {carol, dave}</td><td>bob (link to carol)</td><td class="num">3005 ms</td><td>timeout</td></tr>',
    );
    expect(table).toContain(
      '<td>dave (link to carol)</td><td class="num">not detected</td><td>undone after 2.5s</td></tr>',
    );
    expect(markdown).toContain("## Detection");
    expect(markdown).toContain(
      "| +3.000s lab partition: partitioned the network: {alice, bob} / {carol, dave} | carol (link to bob) | 3005 ms | timeout |",
    );
  });

  it("shows the latency loss cost beside the clean copies", () => {
    expect(markdown).toContain("| clean | 6 |");
    expect(markdown).toContain("| slowed by loss, delay or rate | 2 | 123ms | 10ms | 235ms | 235ms |");
    expect(html).toContain('<table class="counts latency-split">');
  });

  it("a summary from before network faults still reads and renders: no cut links, no faults listed, no detection table", () => {
    const { detections: _d, latencyUnderFaults: _l, ...report } = fixture();
    const older = { ...report, snapshots: report.snapshots.map(({ cut: _c, network: _n, ...snapshot }) => snapshot) };
    expect(parseRunReport(JSON.parse(JSON.stringify(older)))).toMatchObject({ ok: true });
    expect(renderHtml(older)).not.toContain('<section id="detection">');
    const graphs = renderHtml(older).split('<svg class="topology"').slice(1);
    expect(graphs.some((svg) => svg.split("</svg>")[0]!.includes('class="cut"'))).toBe(false);
    expect(renderMarkdown(older)).not.toContain("## Detection");
  });
});

describe("the cost tile", () => {
  const HEAL = new URL("./fixtures/heal-repair.json", import.meta.url);
  const heal = (): RunReport => {
    const parsed = parseRunReport(JSON.parse(readFileSync(HEAL, "utf8")));
    if (!parsed.ok) throw new Error(`the fixture is no summary: ${parsed.problem}`);
    return parsed.report;
  };

  it("gives payload frames per broadcast against the floor per sender mode, duplicates and hop-limit drops, in both reports", () => {
    const tree = fixture();
    expect(renderMarkdown(tree)).toContain(
      "| sender's mode | broadcasts | frames | floor N − 1 | × the floor | duplicates | hop-limit drops |\n|---|---:|---:|---:|---:|---:|---:|\n| tree | 5 | 0 / 2 / 4 | 0 / 2 / 3 | 0.67× / 1.17× / 2.00× | 2 | 1 |",
    );
    const section = renderHtml(tree).split('<section id="cost">')[1]!.split("</section>")[0]!;
    expect(section).toContain(
      '<tr><th scope="row">tree</th><td class="num">5</td><td class="num">0 / 2 / 4</td><td class="num">0 / 2 / 3</td><td class="num">0.67× / 1.17× / 2.00×</td><td class="num">2</td><td class="num">1</td></tr>',
    );
    expect(section).not.toContain("Repairs");
    expect(section).not.toContain("mixes modes");
  });

  it("says when the lab mixes modes, and when nothing was sent", () => {
    const mixed = fixture();
    mixed.cost!.mixed = true;
    expect(renderMarkdown(mixed)).toContain("The lab mixes modes: each broadcast is counted under its sender's mode.");
    expect(renderHtml(mixed)).toContain('<p class="note">The lab mixes modes');
    const quiet = { ...fixture(), cost: { mixed: false, byMode: [], broadcasts: [], repairs: [] } };
    expect(renderMarkdown(quiet).split("## Cost")[1]!.split("\n## ")[0]).toContain("No messages were sent.");
  });

  it("lists heal mode's repairs with the time from the loss, and draws each on the sequence diagram", () => {
    const markdown = renderMarkdown(heal());
    expect(markdown).toContain(
      "| +4.650s | a ⇄ c (dialled by a) | 650 ms after lab kill b: SIGKILL | 638 ms after a lost b (eof) |",
    );
    const page = renderHtml(heal());
    expect(page).toContain(
      "<td>a ⇄ c (dialled by a)</td><td>650 ms after lab kill b: SIGKILL</td><td>638 ms after a lost b (eof)</td>",
    );
    const sequence = page.split('<section id="sequence">')[1]!.split("</section>")[0]!;
    expect(sequence.match(/<g class="repair-mark">/g)).toHaveLength(1);
    expect(sequence).toContain(
      "<title>a dialled c on its own (a repair), +4.650s, 650 ms after lab kill b: SIGKILL</title>",
    );
    expect(sequence).toContain("a link a heal peer dialled on its own (a repair)");
    expect(renderHtml(fixture())).not.toContain("a link a heal peer dialled on its own");
  });

  it("a summary from before the cost tile still reads and renders, without it", () => {
    const { cost: _c, ...older } = heal();
    expect(parseRunReport(JSON.parse(JSON.stringify(older)))).toMatchObject({ ok: true });
    expect(renderHtml(older)).not.toContain('<section id="cost">');
    expect(renderHtml(older)).not.toContain('class="repair-mark"');
    expect(renderMarkdown(older)).not.toContain("## Cost");
  });
});

describe("costLines", () => {
  it("says each sender mode's cost in one line for lab run's closing lines", () => {
    expect(costLines(fixture())).toEqual([
      "tree: 1.17× the floor N − 1 (median of 5 broadcasts, max 2.00×); 2 duplicates, 1 hop-limit drop",
    ]);
    const lonely = fixture();
    lonely.cost!.byMode = [{ ...lonely.cost!.byMode[0]!, broadcasts: 1, duplicates: 1, hopLimitDrops: 0 }];
    delete lonely.cost!.byMode[0]!.ratio;
    expect(costLines(lonely)).toEqual(["tree: 1 broadcast with nobody to reach; 1 duplicate, 0 hop-limit drops"]);
    const { cost: _c, ...older } = fixture();
    expect(costLines(older)).toEqual([]);
  });
});

describe("a lab spread over several engines", () => {
  const spread = (): RunReport => ({
    ...fixture(),
    engines: [
      { name: "default", peers: ["alice", "carol", "dave"], clockOffsetMs: 0.02, uncertaintyMs: 0.11 },
      { name: "p2plab-sbx-1", peers: ["bob"], clockOffsetMs: -41.5, uncertaintyMs: 0.2 },
    ],
  });
  const line =
    "default (alice, carol, dave; clock +0.02 ms ± 0.11 ms); p2plab-sbx-1 (bob; clock −41.50 ms ± 0.20 ms) — times corrected by each engine's offset; the peer image built on default and shipped to the others by save and load where missing";

  it("the header names each engine, its peers and its clock offset, in both reports; summary.json keeps them", () => {
    expect(renderMarkdown(spread())).toContain(`- **Engines:** ${line}`);
    expect(renderHtml(spread())).toContain(`<div><dt>engines</dt><dd>${line.replace("'", "&#39;")}</dd></div>`);
    const reread = parseRunReport(JSON.parse(JSON.stringify(spread())));
    expect(reread.ok && reread.report.engines).toEqual(spread().engines);
  });

  it("a lab on one engine says nothing of engines", () => {
    expect(renderMarkdown(fixture())).not.toContain("Engines:");
    expect(renderHtml(fixture())).not.toContain("<dt>engines</dt>");
  });
});
