import { describe, expect, it } from "vitest";
import { parseManifest } from "@archy/reconciler";
import { app, failure, FILE, imp } from "./test-helpers.js";

const web = (...lines: string[]) => ["services:", "  web:", "    image: nginx", ...lines];
const where = (r: {
  warnings: { line: number; column: number; path: string; message: string }[];
}) => r.warnings.map((w) => `${w.line}:${w.column} ${w.path}: ${w.message}`);

describe("resources: mem_limit, mem_reservation, cpus, pids_limit and deploy.resources", () => {
  it("maps the service keys: sizes in their largest exact unit, cpus and pids as numbers", async () => {
    const r = await imp(
      web(
        "    mem_limit: 512M",
        "    mem_reservation: '268435456'",
        "    cpus: '0.5'",
        "    pids_limit: 100",
      ),
    );
    expect(r.warnings).toEqual([]);
    expect(r.manifests[0]!.text).toContain(
      "    resources:\n      memory: 512m\n      memory_reservation: 256m\n      cpus: 0.5\n      pids: 100\n",
    );
    // archy's parser reads them back as the limits podman gets.
    expect(
      parseManifest(r.manifests[0]!.text, "/etc/archy/apps/w.yaml").app?.container.resources,
    ).toEqual({
      memoryBytes: 512 * 1024 ** 2,
      memoryReservationBytes: 256 * 1024 ** 2,
      cpus: 0.5,
      pids: 100,
    });
  });

  it("maps deploy.resources limits and the memory reservation; 1.5gb is 1536m, bytes stay bytes", async () => {
    const r = await imp(
      web(
        "    deploy:",
        "      resources:",
        "        limits: { cpus: '1.5', memory: 1.5gb, pids: 200 }",
        "        reservations: { memory: 1GiB }",
      ),
    );
    expect(r.warnings).toEqual([]);
    expect(app(r).container.resources).toEqual({
      memory: "1536m",
      memory_reservation: "1g",
      cpus: 1.5,
      pids: 200,
    });
    const bytes = await imp(web("    mem_limit: 100000000", "    cpus: 2"));
    expect(app(bytes).container.resources).toEqual({ memory: "100000000b", cpus: 2 });
  });

  it("follows docker compose where both give a value: deploy's, unless it is 0; a difference is warned", async () => {
    const r = await imp(
      web(
        "    mem_limit: 1g",
        "    mem_reservation: 256m",
        "    cpus: 2",
        "    pids_limit: 50",
        "    deploy:",
        "      resources:",
        "        limits: { memory: 512m, cpus: '2.0', pids: 0 }",
        "        reservations: { memory: 256M }",
      ),
    );
    expect(app(r).container.resources).toEqual({
      memory: "512m",
      memory_reservation: "256m",
      cpus: 2,
      pids: 50,
    });
    expect(where(r)).toEqual([
      "4:5 services.web.mem_limit: mem_limit 1g differs from deploy.resources.limits.memory 512m, which docker compose applies: archy takes 512m",
    ]);
  });

  it("writes nothing for 0 (no limit), and warns that pids -1 cannot lift podman's limit", async () => {
    const r = await imp(web("    mem_limit: 0", "    cpus: 0", "    pids_limit: -1"));
    expect(app(r).container.resources).toBeUndefined();
    expect(where(r)).toEqual([
      "6:17 services.web.pids_limit: pids_limit -1 (no limit) cannot be expressed by archy: podman's own limit applies (pids_limit of containers.conf, 2048 as shipped)",
    ]);
  });

  it("warns about what archy cannot express: swap, shares, devices, a CPU reservation, swarm's deploy keys", async () => {
    const r = await imp(
      web(
        "    memswap_limit: 1g",
        "    cpu_shares: 512",
        "    devices: [/dev/dri:/dev/dri]",
        "    deploy:",
        "      replicas: 3",
        "      mode: replicated",
        "      placement: { constraints: [node.role==manager] }",
        "      resources:",
        "        limits: { memory: 64m }",
        "        reservations:",
        "          cpus: '0.25'",
        "          devices: [{ driver: nvidia, count: 1, capabilities: [gpu] }]",
      ),
    );
    expect(app(r).container.resources).toEqual({ memory: "64m" });
    expect(where(r)).toEqual([
      `4:5 services.web.memswap_limit: archy cannot express "memswap_limit"; it is left out`,
      `5:5 services.web.cpu_shares: archy cannot express "cpu_shares"; it is left out`,
      `6:5 services.web.devices: archy cannot express "devices"; it is left out`,
      "7:5 services.web.deploy: archy runs one container per app and maps deploy.resources only: the rest of deploy is left out (replicas, placement)",
      "14:11 services.web.deploy.resources.reservations.cpus: a CPU reservation is for swarm's scheduler (docker compose ignores it), and archy has none: it is left out",
      "15:11 services.web.deploy.resources.reservations.devices: archy cannot give a container devices (GPUs): it is left out",
    ]);
  });

  it("a deploy with one replica and resources only is mapped without a warning", async () => {
    const r = await imp(
      web("    deploy:", "      replicas: 1", "      resources: { limits: { pids: 64 } }"),
    );
    expect(r.warnings).toEqual([]);
    expect(app(r).container.resources).toEqual({ pids: 64 });
  });

  it("refuses (ECOMPOSE) what neither podman nor docker runs: a malformed size or number, under 6m, a reservation above the limit", async () => {
    const e = await failure(
      web(
        "    mem_limit: 512q",
        "    cpus: two",
        "    pids_limit: 1.5",
        "    deploy:",
        "      resources:",
        "        limits: { memory: 1m }",
        "  db:",
        "    image: postgres",
        "    mem_limit: 64m",
        "    deploy: { resources: { reservations: { memory: 1g } } }",
      ),
    );
    expect(e.code).toBe("ECOMPOSE");
    expect(e.locations.map((l) => `${l.line}:${l.column} ${l.path}: ${l.message}`)).toEqual([
      '4:16 services.web.mem_limit: expected a size such as 512m or 1g, or a number of bytes, not "512q"',
      '5:11 services.web.cpus: expected a number of CPUs such as 0.5 or 2, not "two"',
      "6:17 services.web.pids_limit: expected a whole number of processes (-1: no limit), not 1.5",
      "9:27 services.web.deploy.resources.limits.memory: 1m is under 6m, the least podman and docker accept",
      "13:52 services.db.deploy.resources.reservations.memory: deploy.resources.reservations.memory 1g is above the memory limit 64m: podman and docker refuse such a container",
    ]);
    expect(e.message.split("\n")[1]).toBe(
      `  ${FILE}:4:16: services.web.mem_limit: expected a size such as 512m or 1g, or a number of bytes, not "512q"`,
    );
  });
});
