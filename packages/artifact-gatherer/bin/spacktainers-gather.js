#!/usr/bin/env node
// The published entry point; the code is built into dist/ (pnpm links this file before any build).
import "../dist/bin.js";
