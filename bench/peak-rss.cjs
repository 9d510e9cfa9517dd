// Preloaded into a `lab` command by the bench (node --require): on exit, writes the process's peak
// resident memory in bytes to $BENCH_PEAK_RSS_FILE (the kernel's maxrss, as getrusage reports it).
const { writeFileSync } = require("node:fs");

process.on("exit", () => writeFileSync(process.env.BENCH_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS * 1024)));
