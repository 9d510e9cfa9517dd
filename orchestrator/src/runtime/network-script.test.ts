import { describe, expect, it } from "vitest";
import { EnvironmentError, InputError } from "../errors.js";
import { appliedListing, networkRulesFailed, networkScript, parseListing, scriptFailure } from "./network-script.js";
import type { NetworkRules } from "./runtime.js";

const NONE: NetworkRules = { lab: "t", dropFrom: [], lossFrom: [], delay: [] };

const FIND_INTERFACE = [
  "set -eu",
  "set -- $(ip -o addr show to 172.18.0.2)",
  'dev="${2:-}"',
  'if [ -z "$dev" ]; then echo "no interface of this network namespace carries 172.18.0.2" >&2; exit 1; fi',
  "set -x",
];
const CLEAR_QDISC =
  'case "$(tc qdisc show dev "$dev" root)" in "qdisc tbf "*|"qdisc netem "*|"qdisc prio "*) tc qdisc del dev "$dev" root ;; esac';
const LIST = [
  "echo '# p2plab listing: iptables'",
  `iptables-nft-save -t filter | grep -F -- '"p2plab:t"' || true`,
  "echo '# p2plab listing: qdiscs'",
  `tc qdisc show dev "$dev" | grep -E '^qdisc (tbf|netem|prio) ' || true`,
  "",
];

describe("networkScript", () => {
  it("drops, loss and a rate: the lab's chain refilled in one restore, a jump from the address's interface, a tbf", () => {
    const rules: NetworkRules = {
      ...NONE,
      dropFrom: ["172.18.0.3", "172.18.0.4"],
      lossFrom: [
        { percent: 20, from: "172.18.0.6" },
        { percent: 5, from: "172.18.0.5" },
      ],
      rateKbit: 2000,
    };
    expect(networkScript(rules, "172.18.0.2").split("\n")).toEqual([
      ...FIND_INTERFACE,
      "iptables-nft-restore --noflush <<'RULES'",
      "*filter",
      ":p2plab-in - [0:0]",
      '-A p2plab-in -s 172.18.0.3/32 -m comment --comment "p2plab:t" -j DROP',
      '-A p2plab-in -s 172.18.0.4/32 -m comment --comment "p2plab:t" -j DROP',
      '-A p2plab-in -s 172.18.0.6/32 -m statistic --mode random --probability 0.20000000019 -m comment --comment "p2plab:t" -j DROP',
      '-A p2plab-in -s 172.18.0.5/32 -m statistic --mode random --probability 0.04999999981 -m comment --comment "p2plab:t" -j DROP',
      "COMMIT",
      "RULES",
      'iptables-nft -C INPUT -i "$dev" -m comment --comment p2plab:t -j p2plab-in 2>/dev/null || iptables-nft -I INPUT 1 -i "$dev" -m comment --comment p2plab:t -j p2plab-in',
      CLEAR_QDISC,
      'tc qdisc add dev "$dev" root handle 1: tbf rate 2000kbit burst 3028b limit 28028b',
      ...LIST,
    ]);
  });

  it("the empty set removes the jump, the chain and the lab's root qdisc, and lists", () => {
    expect(networkScript(NONE, "172.18.0.2").split("\n")).toEqual([
      ...FIND_INTERFACE,
      'while iptables-nft -D INPUT -i "$dev" -m comment --comment p2plab:t -j p2plab-in 2>/dev/null; do :; done',
      "if iptables-nft -n -L p2plab-in >/dev/null 2>&1; then iptables-nft -F p2plab-in; iptables-nft -X p2plab-in; fi",
      CLEAR_QDISC,
      ...LIST,
    ]);
  });

  it("a rate alone touches no iptables chain but removes the lab's", () => {
    const script = networkScript({ ...NONE, rateKbit: 256 }, "10.0.0.2");
    expect(script).not.toContain("iptables-nft-restore");
    expect(script).toContain("iptables-nft -X p2plab-in");
    // 10 ms at 256 kbit/s is less than two frames: two frames; 100 ms is 3200 bytes, less than ten frames.
    expect(script).toContain('tc qdisc add dev "$dev" root handle 1: tbf rate 256kbit burst 3028b limit 18168b');
  });

  it("delay: netem under the tbf; to one address, a prio whose first band is the delay to all, a band per address", () => {
    const lines = (rules: Partial<NetworkRules>): string[] =>
      networkScript({ ...NONE, ...rules }, "10.0.0.2")
        .split("\n")
        .filter((line) => line.startsWith("tc ") && !line.startsWith("tc qdisc show"));
    expect(lines({ delay: [{ ms: 100, jitterMs: 0 }] })).toEqual([
      'tc qdisc add dev "$dev" root handle 2: netem delay 100ms',
    ]);
    expect(lines({ delay: [{ ms: 100, jitterMs: 10 }], rateKbit: 1000 })).toEqual([
      'tc qdisc add dev "$dev" root handle 1: tbf rate 1000kbit burst 3028b limit 18168b',
      'tc qdisc add dev "$dev" parent 1:1 handle 2: netem delay 100ms 10ms',
    ]);
    expect(
      lines({
        delay: [
          { ms: 50, jitterMs: 0, to: "10.0.0.3" },
          { ms: 20, jitterMs: 0 },
          { ms: 80, jitterMs: 5, to: "10.0.0.4" },
        ],
      }),
    ).toEqual([
      'tc qdisc add dev "$dev" root handle 2: prio bands 3 priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
      'tc qdisc add dev "$dev" parent 2:1 handle 10: netem delay 20ms',
      'tc qdisc add dev "$dev" parent 2:2 handle 11: netem delay 50ms',
      'tc qdisc add dev "$dev" parent 2:3 handle 12: netem delay 80ms 5ms',
      'tc filter add dev "$dev" parent 2: protocol ip prio 1 u32 match ip dst 10.0.0.3/32 flowid 2:2',
      'tc filter add dev "$dev" parent 2: protocol ip prio 1 u32 match ip dst 10.0.0.4/32 flowid 2:3',
    ]);
  });

  it("refuses what it would put in a shell unchecked, and sets no kernel can carry", () => {
    const refusal = (rules: Partial<NetworkRules>, address = "10.0.0.2"): string => {
      try {
        networkScript({ ...NONE, ...rules }, address);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as InputError).message;
      }
      throw new Error("no refusal");
    };
    expect(refusal({}, "10.0.0.2; reboot")).toBe(
      'network rules: the container\'s address "10.0.0.2; reboot" is not an IPv4 address',
    );
    expect(refusal({ lab: "My Lab" })).toBe('network rules: the lab name "My Lab" is not [a-z0-9-]');
    expect(refusal({ dropFrom: ["bob"] })).toBe('network rules: dropFrom "bob" is not an IPv4 address');
    expect(refusal({ dropFrom: ["fd00::2"] })).toBe('network rules: dropFrom "fd00::2" is not an IPv4 address');
    expect(refusal({ lossFrom: [{ percent: 5, from: "bob" }] })).toBe(
      'network rules: lossFrom "bob" is not an IPv4 address',
    );
    expect(refusal({ lossFrom: [{ percent: 0, from: "10.0.0.3" }] })).toBe(
      "network rules: a loss of 0% is outside (0, 100]",
    );
    expect(refusal({ lossFrom: [{ percent: 101, from: "10.0.0.3" }] })).toBe(
      "network rules: a loss of 101% is outside (0, 100]",
    );
    expect(refusal({ delay: [{ ms: 1.5, jitterMs: 0 }] })).toBe(
      "network rules: a delay of 1.5 ms ± 0 ms is not whole milliseconds",
    );
    expect(
      refusal({
        delay: [
          { ms: 1, jitterMs: 0, to: "10.0.0.3" },
          { ms: 2, jitterMs: 0, to: "10.0.0.3" },
        ],
      }),
    ).toBe("network rules: two delays to 10.0.0.3; give one");
    const many = Array.from({ length: 16 }, (_, i) => ({ ms: 1, jitterMs: 0, to: `10.0.1.${i + 1}` }));
    expect(refusal({ delay: many })).toBe("network rules: delays to more than 15 addresses from one container");
    expect(refusal({ rateKbit: 0 })).toBe("network rules: a rate of 0 kbit/s is not a whole number above 0");
  });
});

describe("appliedListing", () => {
  it("the iptables lines exactly as iptables-save prints them back, the qdiscs in tc's shape", () => {
    expect(
      appliedListing(
        { ...NONE, dropFrom: ["10.0.0.3"], lossFrom: [{ percent: 100, from: "10.0.0.4" }], rateKbit: 500 },
        "eth0",
      ),
    ).toEqual({
      iptables: [
        '-A INPUT -i eth0 -m comment --comment "p2plab:t" -j p2plab-in',
        '-A p2plab-in -s 10.0.0.3/32 -m comment --comment "p2plab:t" -j DROP',
        '-A p2plab-in -s 10.0.0.4/32 -m statistic --mode random --probability 1.00000000000 -m comment --comment "p2plab:t" -j DROP',
      ],
      qdiscs: ["qdisc tbf 1: root rate 500kbit burst 3028b limit 18168b"],
    });
    expect(appliedListing(NONE, "eth0")).toEqual({ iptables: [], qdiscs: [] });
  });
});

describe("parseListing", () => {
  it("reads the two parts of the listing the script printed last, as a namespace printed them", () => {
    const stdout = [
      "# p2plab listing: iptables",
      '-A INPUT -i eth0 -m comment --comment "p2plab:t" -j p2plab-in',
      '-A p2plab-in -s 10.1.1.1/32 -m comment --comment "p2plab:t" -j DROP',
      "# p2plab listing: qdiscs",
      "qdisc tbf 1: root refcnt 3 rate 2Mbit burst 3028b lat 100ms ",
      "",
    ].join("\n");
    expect(parseListing(stdout)).toEqual({
      iptables: [
        '-A INPUT -i eth0 -m comment --comment "p2plab:t" -j p2plab-in',
        '-A p2plab-in -s 10.1.1.1/32 -m comment --comment "p2plab:t" -j DROP',
      ],
      qdiscs: ["qdisc tbf 1: root refcnt 3 rate 2Mbit burst 3028b lat 100ms"],
    });
    expect(parseListing("# p2plab listing: iptables\n# p2plab listing: qdiscs\n")).toEqual({
      iptables: [],
      qdiscs: [],
    });
    expect(() => parseListing("sh: 1: ip: not found\n")).toThrow(/no listing in the helper's output/);
  });
});

describe("a failed script", () => {
  const stderr = [
    "+ iptables-nft-restore --noflush",
    "+ iptables-nft -C INPUT -i eth0 -m comment --comment p2plab:t -j p2plab-in",
    "+ tc qdisc show dev eth0 root",
    "+ tc qdisc add dev eth0 root handle 2: netem delay 100ms",
    "Error: Specified qdisc kind is unknown.",
    "",
  ].join("\n");

  it("names the command set -x traced last and what it said", () => {
    expect(scriptFailure(stderr)).toEqual({
      command: "tc qdisc add dev eth0 root handle 2: netem delay 100ms",
      said: "Error: Specified qdisc kind is unknown.",
    });
    expect(scriptFailure("no interface of this network namespace carries 10.0.0.2\n")).toEqual({
      said: "no interface of this network namespace carries 10.0.0.2",
    });
  });

  it("is an EnvironmentError quoting it, with what the helper needs", () => {
    const error = networkRulesFailed("p2plab-t_alice", 2, stderr, "p2plab/peer:1");
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error.message).toBe(
      "applying network rules in the namespace of p2plab-t_alice failed (exit 2): tc qdisc add dev eth0 root handle 2: netem delay 100ms\n    Error: Specified qdisc kind is unknown.",
    );
    expect(error.hint).toContain(
      "docker run --rm --cap-add NET_ADMIN --user 0 --entrypoint iptables-nft p2plab/peer:1 -L",
    );
  });
});
