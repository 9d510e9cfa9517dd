import { stringify } from "yaml";
import { InputError } from "../errors.js";
import type { ContainerSpec } from "../runtime/runtime.js";
import type { LabPlan } from "./plan.js";

/**
 * A lab plan as a standalone compose file: the same containers, names, commands and labels as
 * `lab up` creates, so `lab status`, `send`, `kill`, `logs` and `down` find a lab started with
 * `docker compose up` by its labels. The network key is `lab`; its name and labels are the lab's.
 */
export function composeFile(plan: LabPlan, source: string): string {
  const waiting = plan.peers.find((peer) => peer.waitsFor.length > 0);
  if (waiting) {
    throw new InputError(
      `lab compose cannot export ${source}: ${waiting.peer} must start once ${waiting.waitsFor.join(" and ")} printed a ready line${waiting.waitsFor.some((name) => plan.peers.find((peer) => peer.peer === name)?.portAtRuntime) ? " (it is given the port read from it)" : ""}, and compose cannot wait for a line`,
      `run it with lab up ${source}`,
    );
  }
  const service = (spec: ContainerSpec) => ({
    image: spec.image,
    container_name: spec.name,
    hostname: spec.hostname,
    ...(spec.entrypoint ? { entrypoint: spec.entrypoint } : {}),
    ...(spec.cmd.length ? { command: spec.cmd } : {}),
    stdin_open: true,
    ...(spec.init ? { init: true } : {}),
    labels: spec.labels,
    ...(Object.keys(spec.env).length ? { environment: spec.env } : {}),
    ...(spec.network
      ? { networks: { lab: spec.aliases.length ? { aliases: spec.aliases } : {} } }
      : { network_mode: "none" }),
    ...(spec.limits
      ? { mem_limit: spec.limits.memoryBytes, memswap_limit: spec.limits.memoryBytes, pids_limit: spec.limits.pids }
      : {}),
    ...(spec.logFiles
      ? {
          logging: {
            driver: "json-file",
            options: { "max-size": spec.logFiles.maxSize, "max-file": String(spec.logFiles.maxFiles) },
          },
        }
      : {}),
  });
  const document = {
    services: Object.fromEntries([
      ...plan.peers.map(({ peer, container }) => [peer, service(container(new Map()))]),
      ["journal", service(plan.journal)],
    ]),
    networks: { lab: { name: plan.network.name, labels: plan.network.labels } },
  };
  const header = [
    `# The p2plab lab "${plan.lab}", exported from ${source} by \`lab compose\`.`,
    `# Start it with \`docker compose -f FILE up -d\` (or docker-compose); then lab status, send, kill, logs and down work on it.`,
    `# The images must exist: \`lab up\` builds ${plan.journal.image} once, or build it from the p2plab repository.`,
  ];
  return `${header.join("\n")}\n${stringify(literal(document), { lineWidth: 0 })}`;
}

/**
 * Compose expands `$VAR` from the host's environment in every string value; `$$` is a literal
 * `$`. Doubling each one passes env values, commands and labels as they are, as `lab up` does,
 * and keeps host variables out of the containers. Keys are not interpolated.
 */
function literal(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("$", () => "$$");
  if (Array.isArray(value)) return value.map(literal);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, literal(inner)]));
  return value;
}
