/**
 * The client is its own npm package (lib/client): its sources may import only each other and its two optional
 * peers. A relative import that leaves the folder would work here and break in the published tarball.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const CLIENT = join(__dirname, "..", "..", "lib", "client");
const PEERS = ["@azure/cosmos", "@fluidframework/azure-client"];

export function clientImportViolations(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((spec) =>
      spec.startsWith(".") ? relative(CLIENT, resolve(dirname(file), spec)).startsWith("..") : !PEERS.includes(spec),
    );
}

it("lib/client imports only itself and its optional peers", () => {
  const sources = readdirSync(CLIENT).filter((n) => n.endsWith(".ts"));
  expect(sources).toContain("broker-client.ts");
  const violations = sources.flatMap((n) =>
    clientImportViolations(join(CLIENT, n), readFileSync(join(CLIENT, n), "utf8")).map((spec) => `${n}: ${spec}`),
  );
  expect(violations).toEqual([]);
});

it("catches a type import from the broker and a Node built-in", () => {
  const file = join(CLIENT, "example.ts");
  const text = [
    'import type { ProblemType } from "../../functions-src/problem";',
    'import { createHash } from "node:crypto";',
    'import { jwtVerify } from "jose";',
    'import { BrokerClient } from "./broker-client";',
    'import { CosmosClient } from "@azure/cosmos";',
  ].join("\n");
  expect(clientImportViolations(file, text)).toEqual(["../../functions-src/problem", "node:crypto", "jose"]);
});
