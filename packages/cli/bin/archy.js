#!/usr/bin/env node
import { main } from "../dist/cli.js";

// A reader that goes away (`archy ps | head`) ends the output, not in a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });

process.exitCode = await main(process.argv);
