/* The parts of ECharts the tracker's charts use (static/js/dashboard.js): bar and line series (stacking is part
   of the core), the cartesian grid with its axes and its containLabel, the title, the axis tooltip (its axis
   pointer, the shadow behind a town's bars, comes with it), the plain legend, the 序时 mark line of the towns'
   chart, drawn on canvas. The English and Chinese locales are part of echarts/core, which picks Chinese when
   <html lang> starts with zh, as the full bundle did. An option using anything else (a pie, dataZoom, a mark
   point, a scrolling legend…) draws nothing of it until its part is added here and the file rebuilt
   (README.md). */
import { use } from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import {
  GridSimpleComponent,
  LegendPlainComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import { LegacyGridContainLabel } from "echarts/features";
import { CanvasRenderer } from "echarts/renderers";

use([
  BarChart,
  LineChart,
  GridSimpleComponent,
  LegendPlainComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  // grid.containLabel, which the charts use: without it ECharts 6 lays the grid out by its newer outerBounds,
  // a few pixels off from what the full bundle drew.
  LegacyGridContainLabel,
  CanvasRenderer,
]);

// The global `echarts` (build.mjs) offers what the pages and their tests call; the rest of echarts/core
// (graphic, registerMap, …) would only add weight.
export { dispose, getInstanceByDom, init, version } from "echarts/core";
