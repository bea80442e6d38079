// The real analytics collector (`target/release/kb collect`) as a child process, for the tests:
// started on a port (0: any free one), stopped and started again on the same port, and its
// daily event files read back.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const KB = join(ROOT, "target", "release", "kb");

/** Starts `kb collect --listen 127.0.0.1:<port> --out <out>`; resolves once it listens. */
export function startCollector({ out, port = 0 }) {
  if (!existsSync(KB)) throw new Error(`${KB} is not built: run scripts/build.sh first`);
  const child = spawn(KB, ["collect", "--listen", `127.0.0.1:${port}`, "--out", out], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.on("exit", (code) => reject(new Error(`kb collect exited (${code}): ${stderr}`)));
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = stdout.match(/listening (\S+)/);
      if (!m) return;
      child.removeAllListeners("exit");
      const address = m[1];
      resolve({
        address,
        out,
        url: `http://${address}/events`,
        port: Number(address.split(":").pop()),
        /** Stops it and resolves when it is gone. */
        stop: () => new Promise((ok) => {
          if (child.exitCode !== null) return ok();
          child.on("exit", ok);
          child.kill("SIGTERM");
        }),
      });
    });
  });
}

/** Every event in the collector's files under `out`, in file and line order. */
export function collectedEvents(out) {
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .filter((f) => /^events-\d{4}-\d{2}-\d{2}\.jsonl$/.test(f))
    .sort()
    .flatMap((f) => readFileSync(join(out, f), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line)));
}
