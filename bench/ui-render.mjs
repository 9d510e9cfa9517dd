// bench/RESULTS-ui.md from bench/ui.mjs's figures: per lab size, page count and rate, min / median
// / max over the rounds; then the status path.
import { stats } from "./harness.mjs";
import { GROWTH_LIMIT_MS, LAG_LIMIT_MS } from "./ui-figures.mjs";

const triple = (values, unit = "") => {
  const figure = stats(values.filter((value) => value !== undefined));
  if (!figure.n) return "—";
  return figure.min === figure.max ? `${figure.min}${unit}` : `${figure.min} / ${figure.median} / ${figure.max}${unit}`;
};
const table = (head, rows) =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");

/** The rows of one (peers, pages, offered events/s) together, in the order they were first measured. */
function grouped(rows) {
  const groups = new Map();
  for (const row of rows) {
    const key = `${row.peers}/${row.pages}/${row.offeredPerSecond}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].sort(
    (a, b) => a[0].peers - b[0].peers || a[0].pages - b[0].pages || a[0].offeredPerSecond - b[0].offeredPerSecond,
  );
}

/** The most events a second every page kept up with in every round, per lab size and page count. */
function keptUpTo(rows) {
  const best = new Map();
  for (const group of grouped(rows)) {
    const key = `${group[0].peers} peers, ${group[0].pages} page${group[0].pages === 1 ? "" : "s"}`;
    if (!best.has(key)) best.set(key, 0);
    if (group.every((row) => row.kept)) best.set(key, Math.max(best.get(key), group[0].offeredPerSecond));
  }
  return [...best].map(([key, events]) => `- ${key}: ${events ? `${events} events/s` : "not even the lowest rate"}`);
}

export function renderUi({ date, command, seconds, options, machine: m, rows, statusPath, streamRows = [], failures }) {
  const loads = rows.map((row) => row.load);
  const parts = [
    "# `lab ui` under load",
    `Measured ${date} with \`${command}\` (${seconds} s in all); written by \`bench/ui.mjs\`, explained in bench/README.md.` +
      ` Chains of ${options.sizes.join(", ")} peers (dedup); ${options.browsers.join(", ")} pages, each in a browser` +
      ` context of its own in one headless Chromium (background throttling off); ${options.seconds} s at each rate,` +
      ` ${options.runs} round${options.runs === 1 ? "" : "s"}, page counts interleaved.`,
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, kernel ${m.kernel}; Docker ${m.docker}; Node ${m.node};` +
      ` peer image ${m.peerImage}. Shared and busy: the 1-minute load average was ${triple(loads.map((l) => Math.round(l * 10) / 10))} at the intervals' starts.`,
    `A page **kept up** when it showed every feed item the server sent, its p99 lag stayed under ${LAG_LIMIT_MS} ms, and its` +
      ` median lag grew less than ${GROWTH_LIMIT_MS} ms from the interval's first quarter to its last. Lag is when a line` +
      " entered the page's DOM less the peer's `ts` (whole ms, one clock). Each row's figures are min / median / max over" +
      " the rounds of the worst page's (absorbed: the slowest page's); the server's lag is when the item came out of `lab ui`" +
      " (read by the bench's own event stream) less its `ts`: what no page can beat. CPU is a share of one core over the interval.",
    "## The most every page kept up with",
    keptUpTo(rows).join("\n"),
    "## Every rate",
    table(
      [
        "peers",
        "pages",
        "offered events/s",
        "server sent /s",
        "absorbed /s per page",
        "lag p50",
        "lag p99",
        "lag max",
        "server's lag p50",
        "server's lag p99",
        "status events",
        "kept up",
        "`lab ui` CPU",
        "Chromium CPU",
      ],
      grouped(rows).map((group) => [
        group[0].peers,
        group[0].pages,
        group[0].offeredPerSecond,
        triple(group.map((row) => row.sentPerSecond)),
        triple(group.map((row) => row.absorbedPerSecond)),
        triple(
          group.map((row) => row.lag.p50),
          " ms",
        ),
        triple(
          group.map((row) => row.lag.p99),
          " ms",
        ),
        triple(
          group.map((row) => row.lag.max),
          " ms",
        ),
        triple(
          group.map((row) => row.serverLag.p50),
          " ms",
        ),
        triple(
          group.map((row) => row.serverLag.p99),
          " ms",
        ),
        triple(group.map((row) => row.statusEvents)),
        `${group.filter((row) => row.kept).length} of ${group.length}` +
          (group.some((row) => !row.kept) ? ` (${group.find((row) => !row.kept).why})` : ""),
        triple(
          group.map((row) => row.serverCpu),
          "%",
        ),
        triple(
          group.map((row) => row.browserCpu),
          "%",
        ),
      ]),
    ),
  ];
  if (statusPath.length) {
    parts.push(
      "## The status path under load",
      "The chain's last peer killed, then restarted, with `lab kill` / `lab restart` while p1 is flooded: from the" +
        " command's start to its answer (its exit), and to each page drawing the peer in its new state (every page's" +
        " time); the page draws a kill before `lab kill` has answered.",
      table(
        [
          "peers",
          "pages",
          "load events/s",
          "action",
          "answered after",
          "each page showed it after",
          "after the answer",
        ],
        statusPath.map((row) => [
          row.peers,
          row.pages,
          row.eventsPerSecond,
          row.action,
          `${row.answeredMs} ms`,
          row.shownMs.map((ms) => (ms === undefined ? "not within 10 s" : `${ms} ms`)).join(", "),
          row.shownMs.map((ms) => (ms === undefined ? "—" : `${ms - row.answeredMs} ms`)).join(", "),
        ]),
      ),
    );
  }
  if (streamRows.length) {
    parts.push(
      "## The server and many browsers",
      "One page plus more event streams, each read whole by a plain reader (browsers on other machines, as in a" +
        " classroom, whose rendering costs this machine nothing): what every stream received, the server's lag" +
        " (when an item came out, less its ts) at p99 over the streams, and the server's CPU.",
      table(
        [
          "peers",
          "streams served",
          "offered events/s",
          "server sent",
          "least any stream got",
          "server's lag p99 (worst stream)",
          "page's lag p99",
          "`lab ui` CPU",
        ],
        streamRows.map((row) => [
          row.peers,
          row.streams + 1 + (row.pages ?? 1),
          row.offeredPerSecond,
          row.sent,
          row.streamsReceivedMin,
          `${Math.max(row.serverLag.p99 ?? 0, ...row.streamsLag.map((lag) => lag.p99 ?? 0))} ms`,
          `${row.lag.p99} ms`,
          `${row.serverCpu}%`,
        ]),
      ),
    );
  }
  if (failures.length) parts.push("## Failures", failures.map((failure) => `- ${failure}`).join("\n"));
  return parts.join("\n\n") + "\n";
}
