import { join } from "node:path";
import { packageRoot } from "../paths.js";
import { escapeHtml as esc } from "../report/escape-html.js";

/** The page's script, bundled by `npm run build` from orchestrator/src/ui/page/ (scripts/bundles.mjs). */
export function pageScriptFile(): string {
  return join(packageRoot(), "dist", "ui", "page.js");
}

/** GET /: the page for one lab, its token embedded for the page's state-changing requests. */
export function pageHtml(options: { lab: string; token: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="p2plab-token" content="${esc(options.token)}">
<title>${esc(options.lab)} · p2plab</title>
</head>
<body>
<main id="app" data-lab="${esc(options.lab)}"><noscript>This page needs JavaScript.</noscript></main>
<script src="/page.js"></script>
</body>
</html>
`;
}
