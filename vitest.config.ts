import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/support/build.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "peer/**/*.test.ts",
            "orchestrator/**/*.test.ts",
            "scripts/**/*.test.ts",
            "examples/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.int.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // The engine and the 2-core machine are shared: one file at a time.
          fileParallelism: false,
        },
      },
      { extends: true, test: { name: "browser", include: ["test/browser/**/*.test.ts"], testTimeout: 120_000 } },
    ],
  },
});
