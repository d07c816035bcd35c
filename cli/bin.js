#!/usr/bin/env node
// The `crossproof` command. crossproof is written in TypeScript and runs through tsx's loader,
// so that there is no build step between a checkout and a working command.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
