/**
 * A uPlot chart in a Preact component: sized to its container (narrow screens included), rebuilt
 * when its data changes. Every chart has a text alternative beside it (a table or figures), so
 * the picture is never the only way to read the numbers.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartProps {
  readonly label: string;
  readonly options: Omit<uPlot.Options, "width" | "height">;
  readonly data: uPlot.AlignedData;
  readonly height?: number;
}

export function Chart({ label, options, data, height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(260, element.clientWidth);
    const plot = new uPlot({ ...options, width: width(), height }, data, element);
    const resized = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    resized.observe(element);
    return () => {
      resized.disconnect();
      plot.destroy();
    };
  }, [options, data, height]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}

/** Colours that keep 3:1 contrast against white (WCAG non-text contrast). */
export const COLOURS = { verified: "#1a7f37", refused: "#cf222e", neutral: "#0969da" };

/** Bars for a series (uPlot's bars path builder). */
export const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
