// Builds static/vendor/echarts/echarts.custom.min.js from entry.js (README.md): esbuild bundles and tree-shakes
// the npm package's ES modules into one script defining the global `echarts`, as the full dist/echarts.min.js
// did; terser then minifies it (about 4% smaller gzipped than esbuild's own minifier). No source map: whitenoise's manifest
// storage refuses to collect a file naming a map that is missing.
import { readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { minify } from "terser";

const here = (path) => new URL(path, import.meta.url).pathname;
const version = JSON.parse(readFileSync(here("node_modules/echarts/package.json"))).version;
const output = here("../../static/vendor/echarts/echarts.custom.min.js");

const banner = `/*
* Apache ECharts ${version}, a custom build with only bar, line, grid, title, tooltip, legend, markLine and the
* canvas renderer: see frontend/echarts/README.md in the tracker's repository.
* Licensed to the Apache Software Foundation (ASF) under the Apache License, Version 2.0;
* see LICENSE, NOTICE and LICENSE-d3 beside this file.
*/`;

const bundled = await build({
  entryPoints: [here("entry.js")],
  bundle: true,
  write: false,
  format: "iife",
  globalName: "echarts",
  // The library's development checks and warnings are left out, as in the dist builds.
  define: { "process.env.NODE_ENV": '"production"', __DEV__: "false" },
  // What the town offices' PCs and the officials' phones run: no newer syntax is emitted.
  target: ["es2017"],
  legalComments: "none",
  logLevel: "warning",
});

const minified = await minify(bundled.outputFiles[0].text, {
  ecma: 2017,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false, preamble: banner },
});

writeFileSync(output, minified.code + "\n");
console.log(`${output}: ${Buffer.byteLength(minified.code)} bytes`);
