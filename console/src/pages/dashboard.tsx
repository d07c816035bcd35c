/**
 * The dashboard: verifications per minute, the verdict mix, the top reasons for refusal, latency
 * percentiles and batch sizes, from the service's own figures (`GET /v1/stats`).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type uPlot from "uplot";
import { getJson, type Stats } from "../api";
import { bars, Chart, COLOURS } from "../chart";
import { Loaded, PageTitle, Time, useLoad } from "../ui";

const WINDOWS = [15, 60, 360, 1440];

const ms = (seconds: number) => `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`;

function PerMinute({ stats }: { stats: Stats }) {
  const data = useMemo<uPlot.AlignedData>(
    () => [
      stats.perMinute.map((m) => Date.parse(m.minute) / 1000),
      stats.perMinute.map((m) => m.verified),
      stats.perMinute.map((m) => m.refused),
    ],
    [stats],
  );
  const options = useMemo(
    () => ({
      series: [
        {},
        { label: "verified", stroke: COLOURS.verified, width: 2 },
        { label: "refused", stroke: COLOURS.refused, width: 2, dash: [6, 4] },
      ],
      axes: [{}, { label: "per minute" }],
      scales: { y: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(1, max)] } },
    }),
    [],
  ) as Omit<uPlot.Options, "width" | "height">;
  const total = stats.verdicts.verified + stats.verdicts.refused;
  return (
    <section aria-labelledby="per-minute">
      <h2 id="per-minute">Verifications per minute</h2>
      <Chart
        label={`Verifications per minute from ${stats.from} to ${stats.to}: ${total} in all`}
        options={options}
        data={data}
      />
    </section>
  );
}

function Mix({ stats }: { stats: Stats }) {
  const { verified, refused } = stats.verdicts;
  const total = verified + refused;
  const share = total === 0 ? 0 : verified / total;
  return (
    <section aria-labelledby="mix" class="card">
      <h2 id="mix">Verdict mix</h2>
      <p class="figure" data-testid="verdict-total">
        {total} <span class="unit">verifications</span>
      </p>
      <p>
        <span class="badge ok">verified</span> <span data-testid="verified-count">{verified}</span>{" "}
        · <span class="badge bad">refused</span> <span data-testid="refused-count">{refused}</span>
      </p>
      <label for="mix-meter">Share verified: {(share * 100).toFixed(0)} %</label>
      <meter id="mix-meter" min={0} max={1} value={share} />
    </section>
  );
}

function Latency({ stats }: { stats: Stats }) {
  const l = stats.latency;
  return (
    <section aria-labelledby="latency" class="card">
      <h2 id="latency">Latency (this instance)</h2>
      {l ? (
        <dl class="figures">
          <div>
            <dt>p50</dt>
            <dd>{ms(l.p50)}</dd>
          </div>
          <div>
            <dt>p90</dt>
            <dd>{ms(l.p90)}</dd>
          </div>
          <div>
            <dt>p99</dt>
            <dd>{ms(l.p99)}</dd>
          </div>
          <div>
            <dt>count</dt>
            <dd>{l.count}</dd>
          </div>
        </dl>
      ) : (
        <p class="muted">No verification on this instance yet.</p>
      )}
    </section>
  );
}

function Reasons({ stats }: { stats: Stats }) {
  return (
    <section aria-labelledby="reasons" class="card">
      <h2 id="reasons">Top reasons for refusal</h2>
      {stats.topReasons.length === 0 ? (
        <p class="muted">No refusal in this window.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <th scope="col" class="num">
                Count
              </th>
            </tr>
          </thead>
          <tbody>
            {stats.topReasons.map((r) => (
              <tr key={r.reason}>
                <td>
                  <code>{r.reason}</code>
                </td>
                <td class="num">{r.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function BatchSizes({ stats }: { stats: Stats }) {
  // The histogram's buckets are cumulative (Prometheus `le`): show each bucket's own count.
  const rows = stats.batchSizes.map((b, i) => ({
    le: String(b.le),
    count: b.count - (i > 0 ? (stats.batchSizes[i - 1]?.count ?? 0) : 0),
  }));
  const data = useMemo<uPlot.AlignedData>(
    () => [rows.map((_, i) => i), rows.map((r) => r.count)],
    [stats],
  );
  const options = useMemo(
    () =>
      ({
        scales: { x: { time: false, range: [-0.5, rows.length - 0.5] } },
        series: [
          {},
          {
            label: "batches",
            stroke: COLOURS.neutral,
            fill: "rgba(9, 105, 218, 0.35)",
            ...(bars ? { paths: bars } : {}),
          },
        ],
        axes: [
          {
            splits: () => rows.map((_, i) => i),
            values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `≤ ${rows[t]?.le ?? ""}`),
          },
          { label: "batches" },
        ],
      }) as Omit<uPlot.Options, "width" | "height">,
    [stats],
  );
  return (
    <section aria-labelledby="batches">
      <h2 id="batches">Batch sizes (this instance)</h2>
      {rows.every((r) => r.count === 0) ? (
        <p class="muted">No batch checked yet.</p>
      ) : (
        <Chart
          label={`Batch sizes: ${rows.map((r) => `${r.count} of at most ${r.le}`).join(", ")}`}
          options={options}
          data={data}
          height={180}
        />
      )}
    </section>
  );
}

export function DashboardPage() {
  const [minutes, setMinutes] = useState(60);
  const state = useLoad(() => getJson<Stats>(`/v1/stats?minutes=${minutes}`), [minutes]);
  // The figures follow the service: read again every 15 seconds while the page is open.
  useEffect(() => {
    const timer = setInterval(state.reload, 15_000);
    return () => clearInterval(timer);
  }, [state.reload]);
  return (
    <>
      <PageTitle
        title="Dashboard"
        lead="What this verifier decided, from its own receipts and metrics (read again every 15 seconds)."
      />
      <div class="toolbar">
        <label for="window">Window</label>
        <select
          id="window"
          value={String(minutes)}
          onChange={(e) => setMinutes(Number((e.target as HTMLSelectElement).value))}
        >
          {WINDOWS.map((w) => (
            <option key={w} value={String(w)}>
              last {w < 60 ? `${w} minutes` : w === 60 ? "hour" : `${w / 60} hours`}
            </option>
          ))}
        </select>
        <button type="button" onClick={state.reload}>
          Refresh
        </button>
      </div>
      <Loaded state={state}>
        {(stats) => (
          <>
            <p class="muted">
              From <Time iso={stats.from} /> to <Time iso={stats.to} />
            </p>
            <div class="grid">
              <Mix stats={stats} />
              <Latency stats={stats} />
              <Reasons stats={stats} />
            </div>
            <PerMinute stats={stats} />
            <BatchSizes stats={stats} />
          </>
        )}
      </Loaded>
    </>
  );
}
