/**
 * `lab ui`'s page style, inlined by page-html.ts (style-src 'unsafe-inline'; no script is). Sizes
 * in rem, so the "big" toggle scales everything for a projector; dark text on white, a thick focus ring.
 */
export const PAGE_STYLE = `
:root{--fg:#0f172a;--muted:#475569;--line:#cbd5e1;--bg:#f8fafc;--card:#fff;--focus:#1d4ed8}
html{font-size:15px}
html.big{font-size:22px}
*{box-sizing:border-box}
[hidden]{display:none !important}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;min-height:100vh;display:flex;flex-direction:column}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
button{font:inherit;padding:.25rem .8rem;border:2px solid var(--fg);border-radius:.4rem;background:#fff;color:var(--fg);cursor:pointer}
button:hover{background:#e2e8f0}
input{font:inherit;padding:.25rem .5rem;border:2px solid #64748b;border-radius:.4rem;min-width:0}
.muted,.hint{color:var(--muted)}
.hint{font-size:.85rem;margin:.3rem 0}
.top{display:grid;grid-template-columns:1fr auto;align-items:center;gap:.2rem 1rem;padding:.5rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
.title{display:flex;align-items:baseline;gap:1rem;min-width:0}
h1{font-size:1.6rem;margin:0;flex:none;max-width:100%;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 .4rem}
#description{margin:0;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.status{grid-column:1/-1;margin:0;font-weight:600;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.95rem}
#banners:empty{display:none}
.banner{margin:0;padding:.5rem 1rem;font-weight:600;border-bottom:2px solid}
.banner.lab{background:#fef2f2;color:#991b1b;border-color:#dc2626}
.banner.connection{background:#fffbeb;color:#92400e;border-color:#f59e0b}
.banner a{color:inherit}
main{flex:1;display:grid;grid-template-columns:minmax(0,3fr) minmax(18rem,2fr);gap:1rem;padding:1rem;min-height:0}
section{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:.6rem .8rem;min-width:0}
.graph-box{position:relative;max-width:36rem;margin:0 auto}
.graph{position:relative}
.graph svg{display:block;width:100%;height:auto;max-height:60vh}
.graph .dots{position:absolute;inset:0;pointer-events:none}
.dot{fill:#16a34a;stroke:#fff;stroke-width:2}
.dot.dup{fill:#ea580c}
.topology .node{cursor:pointer}
.topology .node:focus{outline:none}
.topology .node:focus-visible{outline:3px solid #0f172a;outline-offset:3px}
.topology .node:focus-visible circle:first-of-type,.topology .node:hover circle:first-of-type{stroke:#0f172a;stroke-width:3}
.menu{position:absolute;z-index:2;min-width:13rem;background:#fff;border:2px solid var(--fg);border-radius:.5rem;padding:.5rem .6rem;box-shadow:0 6px 20px rgba(15,23,42,.25)}
.menu h2{font-size:1rem}
.menu-actions{display:flex;flex-wrap:wrap;gap:.3rem;margin-bottom:.5rem}
.menu .send label{display:flex;flex-direction:column;gap:.2rem;font-size:.85rem;color:var(--muted)}
.menu .send{display:flex;align-items:flex-end;gap:.3rem}
.network{list-style:none;margin:.3rem 0;padding:0;color:#991b1b;font-weight:600}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;margin:.5rem 0;font-size:.85rem;color:#334155}
.legend li{display:flex;align-items:center;gap:.4rem}
.legend svg{flex:none}
.network-form{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;margin-top:.5rem}
.network-form input{flex:1 1 14rem}
.network-form .hint,.network-form label{flex-basis:100%}
.result{margin-top:.5rem;border:1px solid var(--line);border-radius:.4rem;padding:.4rem .6rem;background:#f1f5f9}
.result p,.result pre{margin:.1rem 0;white-space:pre-wrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9rem}
.result .command{color:var(--muted)}
.result .error{color:#991b1b;font-weight:600}
.side{display:flex;flex-direction:column;gap:1rem;min-height:0;max-height:calc(100vh - 7rem)}
.controls .network-form{margin-top:0}
.feed-pane{display:flex;flex-direction:column;min-height:8rem;flex:1}
.feed{list-style:none;margin:0;padding:0;overflow-y:auto;flex:1;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.85rem}
.feed li{padding:.1rem .2rem;border-bottom:1px solid #eef2f7;white-space:pre-wrap;overflow-wrap:anywhere}
.feed .ev-recv{color:#166534}
.feed .ev-link-down,.feed .ev-exit,.feed .ev-connect-failed{color:#991b1b}
.feed .ev-link-up{color:#1e40af}
.feed .ev-lab{color:#3730a3;font-weight:600}
@media (max-width:900px){main{grid-template-columns:1fr}.side{max-height:none}.feed-pane{max-height:24rem}}
@media (prefers-reduced-motion:reduce){.dots{display:none}}
`;
