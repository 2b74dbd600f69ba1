#!/usr/bin/env node
/** The only exit point of the program: every command resolves to an exit code. */
import { carryOnWithoutReader } from './cli/closed-output.js';
import { main } from './cli/main.js';

// Keep a token given with --token out of `ps` and /proc/<pid>/cmdline as soon as possible.
process.title = 'segment-sync';
carryOnWithoutReader(process.stdout);
carryOnWithoutReader(process.stderr);
const code = await main(process.argv.slice(2));
process.exit(code);
