#!/usr/bin/env node
// The GitHub Action's entry point (action.yml): the step's inputs (INPUT_* variables) → cfcd → step outputs, job
// summary and cfcd's exit code. The logic is in cfcd-action.mjs.
import { runAction } from './cfcd-action.mjs';

process.exitCode = await runAction();
