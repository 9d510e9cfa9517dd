import type {
  BuildFailure,
  ImageBuild,
  ImageEngine,
  LocalImage,
  StandInBuilder,
} from "../../orchestrator/src/runtime/peer-image.js";

/** An engine holding some images; pulls answer from `registry`; every call is recorded. */
export class FakeEngine implements ImageEngine {
  readonly images = new Map<string, LocalImage>();
  readonly calls: string[] = [];
  /** Image name → why it cannot be pulled; a name not here pulls. */
  readonly unpullable = new Map<string, string>();
  /** Image ID → why the engine keeps it. */
  readonly inUse = new Map<string, string>();
  readonly removed: string[] = [];
  /** Every build asked for, as asked. */
  readonly builds: ImageBuild[] = [];
  private nextId = 1;

  add(name: string, labels: Record<string, string> = {}): LocalImage {
    const image = { id: `sha256:${this.nextId++}`, labels };
    this.images.set(name, image);
    return image;
  }

  async inspectImage(name: string): Promise<LocalImage | undefined> {
    return this.images.get(name);
  }

  async pullImage(name: string): Promise<string | undefined> {
    this.calls.push(`pull ${name}`);
    const reason = this.unpullable.get(name);
    if (reason === undefined) this.add(name);
    return reason;
  }

  async buildImage(build: ImageBuild): Promise<BuildFailure | undefined> {
    this.calls.push(`build ${build.tag} from ${build.buildArgs.BASE_IMAGE}`);
    this.builds.push(build);
    this.add(build.tag, build.labels);
    return undefined;
  }

  async removeImage(id: string): Promise<string | undefined> {
    this.calls.push(`remove ${id}`);
    const kept = this.inUse.get(id);
    if (kept === undefined) this.removed.push(id);
    return kept;
  }
}

export class FakeStandIn implements StandInBuilder {
  built: string[] = [];
  constructor(
    private readonly engine: FakeEngine,
    private readonly why?: string,
  ) {}
  problem(): string | undefined {
    return this.why;
  }
  async build(tag: string, progress: (line: string) => void): Promise<void> {
    progress("offline-base-image: debootstrap bookworm");
    this.built.push(tag);
    this.engine.add(tag);
  }
}
