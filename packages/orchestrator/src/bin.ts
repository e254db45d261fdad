#!/usr/bin/env node
import { runCliProcess } from "@spacktainers/core/node";
import { cli } from "./cli.js";

await runCliProcess(cli);
