#!/usr/bin/env node
// CommonJS (bin/package.json), like the program it loads: Node starts it sooner.
/* global require */
"use strict";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- this file is CommonJS
const { main } = require("../dist/bin/cli.cjs");

// A reader that goes away (`archy ps | head`) ends the output, not in a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });

main(process.argv).then((code) => {
  process.exitCode = code;
});
