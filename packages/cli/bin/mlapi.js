#!/usr/bin/env node
// A committed bin, so pnpm can link it before `pnpm build` has written dist/.
import '../dist/main.js';
