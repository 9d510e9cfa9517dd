// What a lab left on the engine: the containers and networks still carrying its label. A bench
// that leaves anything behind fails; call assertNothingLeft(lab) after every `lab down`.
import { spawnSync } from "node:child_process";

/** The names of the lab's containers and networks still on the engine. */
export function leftovers(lab) {
  const names = (kind) => {
    const run = spawnSync(
      "docker",
      [
        kind,
        "ls",
        ...(kind === "container" ? ["-a"] : []),
        "--filter",
        `label=p2plab.lab=${lab}`,
        "--format",
        kind === "container" ? "{{.Names}}" : "{{.Name}}",
      ],
      { encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(`docker ${kind} ls failed: ${run.stderr}`);
    return run.stdout.split("\n").filter(Boolean);
  };
  return [...names("container"), ...names("network")];
}

/** Throws, naming them, when the lab left containers or networks behind. */
export function assertNothingLeft(lab) {
  const left = leftovers(lab);
  if (left.length > 0) throw new Error(`lab ${lab} left behind: ${left.join(", ")}`);
}
