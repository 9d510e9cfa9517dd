import { join } from "node:path";
import { packageRoot } from "../paths.js";
import { escapeHtml as esc } from "../report/escape-html.js";
import { OVERLAY_STYLE, overlayLegend } from "../report/overlay-svg.js";
import { PAGE_STYLE } from "./page-style.js";

/** The page's script, bundled by `npm run build` from orchestrator/src/ui/page/ (scripts/bundles.mjs). */
export function pageScriptFile(): string {
  return join(packageRoot(), "dist", "ui", "page.js");
}

/**
 * GET /: the page for one lab, its token embedded for the page's state-changing requests. The
 * skeleton only: the script (no inline script, so `default-src 'self'` holds) fills it from GET /events.
 */
export function pageHtml(options: { lab: string; token: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="p2plab-token" content="${esc(options.token)}">
<title>${esc(options.lab)} · p2plab</title>
<style>${OVERLAY_STYLE}
${PAGE_STYLE}</style>
</head>
<body>
<header class="top">
<div class="title"><h1 id="lab">${esc(options.lab)}</h1><p id="description"></p></div>
<button type="button" id="big" aria-pressed="false" title="large type, for a projector">big</button>
<p id="status" class="status" aria-live="polite">connecting…</p>
</header>
<div id="banners" role="alert"></div>
<main id="app" data-lab="${esc(options.lab)}">
<noscript>This page needs JavaScript.</noscript>
<section class="graph-pane" aria-label="the lab's graph">
<div id="graph-box" class="graph-box"><div id="graph" class="graph"></div></div>
<ul id="network" class="network"></ul>
<ul class="legend">
${overlayLegend()}
<li><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="6" class="dot"/></svg> a message crossing a link</li>
</ul>
<p class="hint">Click a peer (or Tab to it and press Enter) for its actions; Escape closes the menu.</p>
</section>
<div class="side">
<section class="controls" aria-label="actions">
<form id="network-form" class="network-form" hidden>
<label for="fault">network fault, in the CLI's words</label>
<input id="fault" name="fault" type="text" autocomplete="off" spellcheck="false" placeholder="partition alice,bob / carol">
<button type="submit">apply</button>
<p class="hint">partition A,B / C · heal · cut A B [--one-way] · link A B · loss PEER 10% · delay PEER 200ms · rate PEER 256kbit</p>
</form>
<div id="result" class="result" aria-live="polite"><p class="hint">What an action does shows here, as the CLI prints it.</p></div>
</section>
<section class="feed-pane" aria-label="feed">
<h2>feed <span class="muted">newest first</span></h2>
<ol id="feed" class="feed"></ol>
</section>
</div>
</main>
<script src="/page.js"></script>
</body>
</html>
`;
}
