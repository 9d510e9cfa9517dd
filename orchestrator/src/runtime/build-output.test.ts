import { describe, expect, it } from "vitest";
import { BuildSteps } from "./build-output.js";

describe("a build's output", () => {
  it("shows each step as a progress line, and quotes the failing step's last lines without the builder's chatter", () => {
    const progress: string[] = [];
    const steps = new BuildSteps((line) => progress.push(line));
    // As the engine streams it: lines split across chunks, layer ids between the steps' output.
    for (const chunk of [
      "Step 1/3 : FROM p2plab/node-base:22-bookworm\n ---> 5acf21b7cbc1\n",
      "Step 2/3 : RUN make\n ---> Running in 0c1d\ncc -Wall -Wextra -Werror -o p2pchat p2pchat.c\n\x1b[91mp2pchat.c:12:5: er",
      "ror: unused variable 'x' [-Werror=unused-variable]\ncc1: all warnings being treated as errors\n",
      // What the step printed on stderr comes coloured; the builder's own line can follow the reset.
      "\x1b[0mRemoving intermediate container 0c1d\n\x1b[91mmake: *** [Makefile:4: p2pchat] Error 1",
    ])
      steps.read(chunk);
    expect(progress).toEqual(["Step 1/3 : FROM p2plab/node-base:22-bookworm", "Step 2/3 : RUN make"]);
    expect(steps.failure("The command '/bin/sh -c make' returned a non-zero code: 2")).toEqual({
      step: "Step 2/3 : RUN make",
      output: [
        "cc -Wall -Wextra -Werror -o p2pchat p2pchat.c",
        "p2pchat.c:12:5: error: unused variable 'x' [-Werror=unused-variable]",
        "cc1: all warnings being treated as errors",
        "make: *** [Makefile:4: p2pchat] Error 1",
      ],
      error: "The command '/bin/sh -c make' returned a non-zero code: 2",
    });
  });

  it("keeps only the last twenty lines of a long step, and has no step for a Dockerfile that does not parse", () => {
    const steps = new BuildSteps(() => {});
    steps.read("Step 1/1 : RUN seq 100\n");
    steps.read(Array.from({ length: 100 }, (_, i) => `${i + 1}\n`).join(""));
    expect(steps.failure("failed").output).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 81)));
    expect(new BuildSteps(() => {}).failure("unknown instruction: RUNN")).toEqual({
      error: "unknown instruction: RUNN",
      output: [],
    });
  });
});
