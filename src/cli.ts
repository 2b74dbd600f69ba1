#!/usr/bin/env node
/** The only exit point of the program: every command resolves to an exit code. */
import { main } from './cli/main.js';

// Keep a token given with --token out of `ps` and /proc/<pid>/cmdline as soon as possible.
process.title = 'segment-sync';
const code = await main(process.argv.slice(2));
process.exit(code);
