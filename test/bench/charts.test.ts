/**
 * The benchmark charts (test/bench/charts/): each is well-formed SVG at 640x320, values map monotonically onto
 * coordinates, every axis names its unit, a series the report lacks draws no chart (and removes an old one), the
 * committed docs/benchmarks/*.svg are what the committed report.json draws, and a --quick run writes its charts to
 * its own folder, never into docs/benchmarks. Nothing here writes to a tracked file.
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchResult } from "./bench-result";
import { renderBarChart } from "./charts/bar-chart";
import { renderLineChart } from "./charts/line-chart";
import { CHART_FILES, chartsOf, writeCharts } from "./charts/report-charts";
import type { Report } from "./report";

const ROOT = join(__dirname, "..", "..");
const DOCS = join(ROOT, "docs", "benchmarks");
const committedReport = (): Report => JSON.parse(readFileSync(join(DOCS, "report.json"), "utf8"));
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict reader for the XML subset the charts write: elements, double-quoted attributes, text with the five
 * predefined entities or numeric references. It throws on anything not well-formed (an unclosed or crossed tag, a
 * duplicate attribute, a bare `&` or `<`, text outside the root, more than one root).
 */
function parseXml(source: string): XmlElement {
  const NAME = /[A-Za-z_][\w.:-]*/y;
  const entities = /&(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);/y;
  const unescape = (s: string, at: number) => {
    for (let i = s.indexOf("&"); i >= 0; i = s.indexOf("&", i + 1)) {
      entities.lastIndex = i;
      if (!entities.test(s)) throw new Error(`bare & at ${at + i}`);
    }
    return s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, "&");
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = source.startsWith("<?xml") ? source.indexOf("?>") + 2 : 0;
  while (i < source.length) {
    const lt = source.indexOf("<", i);
    const chunk = source.slice(i, lt < 0 ? source.length : lt);
    if (chunk.includes(">")) throw new Error(`stray > at ${i}`);
    if (stack.length > 0) stack[stack.length - 1].text += unescape(chunk, i);
    else if (chunk.trim()) throw new Error(`text outside the root at ${i}: ${chunk.trim().slice(0, 20)}`);
    if (lt < 0) break;
    if (source.startsWith("</", lt)) {
      NAME.lastIndex = lt + 2;
      const name = NAME.exec(source)?.[0];
      const open = stack.pop();
      if (!name || open?.name !== name || source[NAME.lastIndex] !== ">")
        throw new Error(`</${name}> at ${lt} closes <${open?.name}>`);
      i = NAME.lastIndex + 1;
      continue;
    }
    NAME.lastIndex = lt + 1;
    const name = NAME.exec(source)?.[0];
    if (!name) throw new Error(`< without a tag name at ${lt}`);
    const element: XmlElement = { name, attrs: {}, children: [], text: "" };
    let j = NAME.lastIndex;
    for (;;) {
      const attr = /\s+([A-Za-z_][\w.:-]*)="([^"<]*)"/y;
      attr.lastIndex = j;
      const m = attr.exec(source);
      if (!m) break;
      if (m[1] in element.attrs) throw new Error(`duplicate attribute ${m[1]} on <${name}>`);
      element.attrs[m[1]] = unescape(m[2], j);
      j = attr.lastIndex;
    }
    while (/\s/.test(source[j])) j++;
    const selfClosing = source.startsWith("/>", j);
    if (!selfClosing && source[j] !== ">") throw new Error(`malformed tag <${name}> at ${lt}`);
    if (stack.length > 0) stack[stack.length - 1].children.push(element);
    else if (root) throw new Error(`a second root <${name}> at ${lt}`);
    else root = element;
    if (!selfClosing) stack.push(element);
    i = j + (selfClosing ? 2 : 1);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new Error("no root element");
  return root;
}

const all = (e: XmlElement, name: string): XmlElement[] => [
  ...(e.name === name ? [e] : []),
  ...e.children.flatMap((c) => all(c, name)),
];
const texts = (svg: string) => all(parseXml(svg), "text").map((t) => t.text);

describe("the XML reader the tests rely on", () => {
  test.each([
    ["an unclosed tag", "<svg><g></svg>"],
    ["crossed tags", "<svg><g><text></g></text></svg>"],
    ["a bare ampersand", "<svg><text>a & b</text></svg>"],
    ["an unquoted attribute", "<svg width=640></svg>"],
    ["two roots", "<svg/><svg/>"],
    ["a duplicate attribute", '<svg x="1" x="2"/>'],
  ])("rejects %s", (_what, xml) => expect(() => parseXml(xml)).toThrow());
});

describe("charts from the committed report", () => {
  const charts = chartsOf(committedReport());

  test("all four are drawn, each well-formed SVG at 640x320 with a title", () => {
    expect(charts.map((c) => c.file)).toEqual([
      "soak-memory.svg",
      "load-latency.svg",
      "exchange-rates.svg",
      "synth-time.svg",
    ]);
    for (const chart of charts) {
      const root = parseXml(chart.svg);
      expect(root.name).toBe("svg");
      expect(root.attrs).toMatchObject({ xmlns: "http://www.w3.org/2000/svg", width: "640", height: "320" });
      expect(all(root, "title")[0].text).toBe(chart.title);
    }
  });

  test("every value axis names its unit", () => {
    const byFile = Object.fromEntries(charts.map((c) => [c.file, texts(c.svg)]));
    expect(byFile["soak-memory.svg"]).toEqual(
      expect.arrayContaining(["memory (MB)", "distinct subjects exchanged (count)"]),
    );
    expect(byFile["load-latency.svg"]).toContain("latency (ms)");
    expect(byFile["exchange-rates.svg"]).toContain("rate (per second)");
    expect(byFile["synth-time.svg"]).toContain("wall time (s)");
  });

  test("the figures appear as the report has them (load: read from labels, that entry predates figure ids)", () => {
    const byFile = Object.fromEntries(charts.map((c) => [c.file, texts(c.svg).join(" | ")]));
    expect(byFile["load-latency.svg"]).toMatch(/60 ms .*102 ms .*206 ms/);
    expect(byFile["load-latency.svg"]).toContain("max 7,610 ms (not drawn)");
    // The exchange and synth entries are re-run more often: their expected texts come from the committed report.
    const figure = (bench: string, id: string) => {
      const found = committedReport()
        .benches.find((b) => b.bench === bench)
        ?.result?.figures.find((f) => f.id === id)?.value;
      if (typeof found !== "number") throw new Error(`report.json has no figure ${bench}/${id}`);
      return found;
    };
    const rate = (n: number) => `${Math.round(n).toLocaleString("en")}/s`;
    const times = (n: number) => `${n.toFixed(2)}x`;
    const [raw, floor, fresh] = ["raw-verify-rate", "floor-exchange-rate", "fresh-exchange-rate"].map((id) =>
      figure("broker", id),
    );
    expect(byFile["exchange-rates.svg"]).toContain(`${rate(raw)} | raw RS256 verify`);
    expect(byFile["exchange-rates.svg"]).toContain(`${rate(floor)}, ${times(floor / raw)} raw`);
    expect(byFile["exchange-rates.svg"]).toContain(
      `${rate(fresh)}, ${times(fresh / raw)} raw, ${times(fresh / floor)} floor`,
    );
    const [synth, template] = ["cdktf-synth", "cdktf-synth-template"].map((id) => figure("synth", id));
    expect(byFile["synth-time.svg"]).toContain(`${synth.toFixed(2)} s, ${times(template / synth)} faster`);
    expect(byFile["synth-time.svg"]).toContain(`${template.toFixed(2)} s`);
    expect(byFile["soak-memory.svg"]).toContain("target: peak RSS < 200 MB");
  });

  test("the committed SVGs are what this report draws today (regenerate: npm run bench -- --charts-only)", () => {
    for (const chart of charts) expect(readFileSync(join(DOCS, chart.file), "utf8")).toBe(chart.svg);
  });
});

describe("line chart", () => {
  const spec = {
    title: "t",
    xAxis: { label: "subjects", unit: "count" },
    yAxis: { label: "memory", unit: "MB" },
  };

  test("a larger x lies further right and a larger y higher up, in input order or not", () => {
    const points = [0, 3, 1, 4, 2, 9, 5].map((v) => ({ x: v * 1000, y: v * v + 10 }));
    const svg = renderLineChart({ ...spec, series: [{ name: "a", points }] })!;
    const line = all(parseXml(svg), "polyline")[0];
    const coords = line.attrs.points.split(" ").map((p) => p.split(",").map(Number));
    expect(coords).toHaveLength(points.length);
    for (let k = 1; k < coords.length; k++) {
      expect(coords[k][0]).toBeGreaterThan(coords[k - 1][0]);
      expect(coords[k][1]).toBeLessThan(coords[k - 1][1]);
    }
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(640);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(320);
    }
  });

  test("equal values share a height across series, and each series has its legend entry", () => {
    const svg = renderLineChart({
      ...spec,
      series: [
        {
          name: "first",
          points: [
            { x: 0, y: 5 },
            { x: 1, y: 5 },
          ],
        },
        {
          name: "second",
          points: [
            { x: 0, y: 5 },
            { x: 1, y: 8 },
          ],
        },
      ],
    })!;
    const [a, b] = all(parseXml(svg), "polyline").map((l) => l.attrs.points.split(" "));
    expect(a[0]).toBe(b[0]);
    expect(texts(svg)).toEqual(expect.arrayContaining(["first", "second"]));
  });

  test("no points, or only non-numbers, draws no chart; an empty series beside a full one is left out", () => {
    expect(renderLineChart({ ...spec, series: [] })).toBeUndefined();
    expect(renderLineChart({ ...spec, series: [{ name: "a", points: [] }] })).toBeUndefined();
    expect(renderLineChart({ ...spec, series: [{ name: "a", points: [{ x: 1, y: NaN }] }] })).toBeUndefined();
    const svg = renderLineChart({
      ...spec,
      series: [
        { name: "empty", points: [] },
        { name: "full", points: [{ x: 1, y: 2 }] },
      ],
    })!;
    expect(all(parseXml(svg), "polyline")).toHaveLength(1);
    expect(texts(svg)).not.toContain("empty");
  });

  test("text that looks like markup stays text", () => {
    const svg = renderLineChart({
      ...spec,
      title: `<script>&"`,
      series: [{ name: "a < b & c", points: [{ x: 1, y: 2 }] }],
    })!;
    expect(all(parseXml(svg), "script")).toHaveLength(0);
    expect(texts(svg)).toEqual(expect.arrayContaining([`<script>&"`, "a < b & c"]));
  });
});

describe("bar chart", () => {
  test("a larger value is a taller bar, all standing on one baseline", () => {
    const values = [3, 12, 7.5, 0];
    const svg = renderBarChart({
      title: "t",
      yAxis: { label: "wall time", unit: "s" },
      bars: values.map((value, i) => ({ label: `bar ${i}`, value, group: "g" })),
    })!;
    const rects = all(parseXml(svg), "rect").filter((r) => "data-value" in r.attrs);
    expect(rects.map((r) => Number(r.attrs["data-value"]))).toEqual(values);
    const heights = rects.map((r) => Number(r.attrs.height));
    const order = (xs: number[]) => xs.map((_, k) => k).sort((p, q) => xs[p] - xs[q]);
    expect(order(heights)).toEqual(order(values));
    expect(new Set(rects.map((r) => Number(r.attrs.y) + Number(r.attrs.height))).size).toBe(1);
    expect(texts(svg)).toEqual(expect.arrayContaining(["wall time (s)", "12 s", "7.5 s"]));
  });

  test("a target's label keeps clear of the bars and their captions, wherever a caption sits at the target's height", () => {
    // The last bar's caption at the line's height, where the label was drawn (the right end, above the line).
    const cases = [
      [12, 3, 4.48],
      [4.48, 3, 12],
    ];
    for (const values of cases) {
      const svg = renderBarChart({
        title: "t",
        yAxis: { label: "wall time", unit: "s" },
        bars: values.map((value, i) => ({ label: `bar ${i}`, value, group: "g" })),
        references: [{ value: 5, label: "target: cdktf synth <= 5 s" }],
      })!;
      const textBoxes = all(parseXml(svg), "text").map((t) => {
        const width = t.text.length * 11 * 0.56;
        const x = Number(t.attrs.x);
        const x0 =
          t.attrs["text-anchor"] === "end" ? x - width : t.attrs["text-anchor"] === "middle" ? x - width / 2 : x;
        return { text: t.text, x0, x1: x0 + width, y0: Number(t.attrs.y) - 11, y1: Number(t.attrs.y) + 3 };
      });
      const label = textBoxes.find((b) => b.text.startsWith("target:"))!;
      const captions = textBoxes.filter((b) => / s$/.test(b.text) && !b.text.startsWith("target:") && b !== label);
      const clash = captions.filter((b) => label.x0 < b.x1 && b.x0 < label.x1 && label.y0 < b.y1 && b.y0 < label.y1);
      expect(clash).toEqual([]);
    }
  });

  test("no bar with a value draws no chart", () => {
    const spec = { title: "t", yAxis: { label: "latency", unit: "ms" } };
    expect(renderBarChart({ ...spec, bars: [] })).toBeUndefined();
    expect(renderBarChart({ ...spec, bars: [{ label: "p50", value: NaN, group: "g" }] })).toBeUndefined();
  });
});

describe("a report without some series", () => {
  const withResult = (bench: string, result: Partial<BenchResult>): Report["benches"][number] => ({
    bench,
    status: "ok",
    ranAt: "2026-12-04T00:00:00.000Z",
    result: { bench, quick: true, figures: [], ...result },
  });
  const report = (benches: Report["benches"]): Report => ({ ...committedReport(), benches });

  test("draws only the charts it has figures for, and removes a chart file left from an earlier report", () => {
    const dir = scratchDir("tb-charts-");
    writeCharts(dir, committedReport());
    expect(readdirSync(dir).sort()).toEqual([...CHART_FILES].sort());
    const partial = report([
      withResult("load", {
        figures: [{ id: "latency-p50", label: "renamed since", value: 4, unit: "ms" }],
        series: { "soak RSS (MB) by subjects": [] },
      }),
      withResult("broker", { figures: [{ id: "raw-verify-rate", label: "raw", value: 100, unit: "/s" }] }),
      { bench: "synth", status: "failed", ranAt: "2026-12-04T00:00:00.000Z", error: "exit 1" },
    ]);
    expect(writeCharts(dir, partial).map((c) => c.file)).toEqual(["load-latency.svg"]);
    expect(readdirSync(dir)).toEqual(["load-latency.svg"]);
    expect(texts(readFileSync(join(dir, "load-latency.svg"), "utf8"))).toContain("4 ms");
  });
});

describe("the runner", () => {
  const benches = scratchDir("tb-charts-benches-");
  // A load bench in miniature: figures with ids and the soak's series, as the real one hands them back.
  writeFileSync(
    join(benches, "load.bench.ts"),
    `import { writeFileSync } from "node:fs";
const curve = [0, 1000, 2000, 3000].map((x, i) => ({ x, y: 60 + i }));
writeFileSync(process.env.BENCH_RESULT_FILE!, JSON.stringify({
  bench: "load", quick: process.env.BENCH_QUICK === "1",
  figures: [
    { id: "latency-p50", label: "latency p50", value: 3, unit: "ms" },
    { id: "latency-p99", label: "latency p99", value: 9, unit: "ms" },
  ],
  series: { "soak RSS (MB) by subjects": curve, "soak heap used (MB) by subjects": curve.map((p) => ({ ...p, y: 20 })) },
}));
`,
  );
  const docsState = () =>
    readdirSync(DOCS)
      .sort()
      .map((f) => `${f} ${statSync(join(DOCS, f)).mtimeMs}`);
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "test/bench/run-all.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_DIR: benches },
      encoding: "utf8",
      timeout: 60_000,
    });

  test("a --quick run writes its charts to its own temporary folder, never into docs/benchmarks", () => {
    const before = docsState();
    const result = run(["--quick", "load"]);
    expect(result.status).toBe(0);
    const out = /report: (.*)[/\\]report\.md/.exec(result.stdout)?.[1];
    expect(out).toBeDefined();
    scratch.push(out!);
    expect(out).not.toBe(DOCS);
    expect(readdirSync(out!).sort()).toEqual(["load-latency.svg", "report.json", "report.md", "soak-memory.svg"]);
    const markdown = readFileSync(join(out!, "report.md"), "utf8");
    expect(markdown).toContain("](soak-memory.svg)");
    expect(markdown).toContain("![Latency under load, by percentile](load-latency.svg)");
    const soak = parseXml(readFileSync(join(out!, "soak-memory.svg"), "utf8"));
    expect(all(soak, "polyline")).toHaveLength(2);
    expect(docsState()).toEqual(before);
  }, 60_000);

  test("--charts-only redraws from the report.json in --out without running a bench", () => {
    const before = docsState();
    const out = scratchDir("tb-charts-only-");
    copyFileSync(join(DOCS, "report.json"), join(out, "report.json"));
    const result = run(["--charts-only", "--out", out]);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain("bench load");
    for (const file of CHART_FILES)
      expect(readFileSync(join(out, file), "utf8")).toBe(readFileSync(join(DOCS, file), "utf8"));
    expect(existsSync(join(out, "report.md"))).toBe(false);
    expect(readFileSync(join(out, "report.json"), "utf8")).toBe(readFileSync(join(DOCS, "report.json"), "utf8"));
    expect(docsState()).toEqual(before);
  }, 60_000);

  test("--charts-only without a report says so and fails", () => {
    const result = run(["--charts-only", "--out", scratchDir("tb-charts-none-")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("no report to draw from");
  }, 60_000);
});
