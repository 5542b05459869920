#!/usr/bin/env node
// The package's bin: a committed file, so pnpm can link it before `pnpm build` has written
// dist/ (linking dist/main.js directly warned "Failed to create bin" on every fresh install).
import '../dist/main.js';
