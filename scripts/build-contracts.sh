#!/usr/bin/env bash
# Compiles the devnet's Solidity contracts (devnet/contracts/src) with a
# pinned solc from npm and writes the ABI, creation code and runtime code of
# each contract to devnet/contracts/build, which is committed and embedded in
# the Go build: building or testing opal never needs solc.
#
# The output is reproducible: the compiler version, EVM version and optimizer
# settings are pinned, sources are fed in a fixed order, and the metadata
# hash is left out of the bytecode so comments do not change the code.
set -euo pipefail

SOLC_VERSION=0.8.37
EVM_VERSION=cancun

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/devnet/contracts/src"
out="$root/devnet/contracts/build"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tmp" "solc@$SOLC_VERSION" >/dev/null

# The standard-JSON input, the compilation and the output files are all
# handled by one node script, which has solc's JSON at hand.
SRC="$src" OUT="$out" EVM_VERSION="$EVM_VERSION" SOLC_VERSION="$SOLC_VERSION" \
	NODE_PATH="$tmp/node_modules" node - <<'JS'
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const want = process.env.SOLC_VERSION;
if (!solc.version().startsWith(want + "+")) {
  throw new Error(`solc ${solc.version()} is not ${want}`);
}
const src = process.env.SRC;
const out = process.env.OUT;
const sources = {};
for (const f of fs.readdirSync(src).filter((f) => f.endsWith(".sol")).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(src, f), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: process.env.EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    metadata: { appendCBOR: false },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

fs.mkdirSync(out, { recursive: true });
for (const f of Object.keys(output.contracts).sort()) {
  for (const name of Object.keys(output.contracts[f]).sort()) {
    const c = output.contracts[f][name];
    fs.writeFileSync(path.join(out, `${name}.abi.json`), JSON.stringify(c.abi, null, 2) + "\n");
    fs.writeFileSync(path.join(out, `${name}.bin`), c.evm.bytecode.object + "\n");
    fs.writeFileSync(path.join(out, `${name}.runtime.bin`), c.evm.deployedBytecode.object + "\n");
  }
}
fs.writeFileSync(path.join(out, "VERSION"), `solc ${solc.version()} evm ${process.env.EVM_VERSION} optimizer 200\n`);
JS
echo "contracts written to ${out#"$root"/}"
