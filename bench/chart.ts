/**
 * A self-contained SVG line chart for the scaling suite: log-scale x axis
 * (pages in the working set), host nanoseconds per access on the left axis,
 * emulated cycles per access on the right, and vertical markers where the
 * working set outgrows each TLB level. Pure string generation, no dependencies.
 */

/** One point of the chart. */
export interface ChartPoint {
  pages: number;
  nsPerAccess: number;
  /** Standard deviation of nsPerAccess over batches. */
  nsSd: number;
  cyclesPerAccess: number;
}

/** A vertical marker. */
export interface ChartMarker {
  pages: number;
  label: string;
  /** Drawn dotted and grey when true (a secondary marker). */
  minor?: boolean;
}

const W = 820;
const H = 460;
const LEFT = 72;
const RIGHT = 740;
const TOP = 70;
const BOTTOM = 380;
const NS_COLOR = '#1f77b4';
const CYCLE_COLOR = '#d62728';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  const p = 10 ** Math.floor(Math.log10(max || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function pagesLabel(pages: number): string {
  if (pages >= 1024 * 1024) return `${pages / (1024 * 1024)}Mi`;
  if (pages >= 1024) return `${pages / 1024}Ki`;
  return String(pages);
}

/** The chart as an SVG document. */
export function scalingChart(points: ChartPoint[], markers: ChartMarker[], title: string, subtitle: string): string {
  const maxPages = Math.max(...points.map((p) => p.pages));
  const xMaxLog = Math.ceil(Math.log2(maxPages));
  const x = (pages: number) => LEFT + ((RIGHT - LEFT) * Math.log2(pages)) / xMaxLog;
  const nsMax = niceMax(Math.max(...points.map((p) => p.nsPerAccess + p.nsSd)) * 1.05);
  const cyMax = niceMax(Math.max(...points.map((p) => p.cyclesPerAccess)) * 1.05);
  const yNs = (ns: number) => BOTTOM - ((BOTTOM - TOP) * ns) / nsMax;
  const yCy = (c: number) => BOTTOM - ((BOTTOM - TOP) * c) / cyMax;
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`);
  out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${escape(subtitle)}</text>`);

  // Grid and axes.
  for (let i = 0; i <= 5; i++) {
    const y = BOTTOM - ((BOTTOM - TOP) * i) / 5;
    out.push(`<line x1="${LEFT}" y1="${f(y)}" x2="${RIGHT}" y2="${f(y)}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 6}" y="${f(y + 4)}" text-anchor="end" fill="${NS_COLOR}">${+((nsMax * i) / 5).toPrecision(3)}</text>`);
    out.push(`<text x="${RIGHT + 6}" y="${f(y + 4)}" fill="${CYCLE_COLOR}">${+((cyMax * i) / 5).toPrecision(3)}</text>`);
  }
  for (let e = 0; e <= xMaxLog; e += 2) {
    const px = x(2 ** e);
    out.push(`<line x1="${f(px)}" y1="${BOTTOM}" x2="${f(px)}" y2="${BOTTOM + 5}" stroke="#333"/>`);
    out.push(`<text x="${f(px)}" y="${BOTTOM + 19}" text-anchor="middle">${pagesLabel(2 ** e)}</text>`);
  }
  out.push(`<line x1="${LEFT}" y1="${BOTTOM}" x2="${RIGHT}" y2="${BOTTOM}" stroke="#333"/>`);
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${BOTTOM}" stroke="${NS_COLOR}"/>`);
  out.push(`<line x1="${RIGHT}" y1="${TOP}" x2="${RIGHT}" y2="${BOTTOM}" stroke="${CYCLE_COLOR}"/>`);
  out.push(`<text x="${(LEFT + RIGHT) / 2}" y="${BOTTOM + 40}" text-anchor="middle">pages in the working set (4 KiB each, log scale)</text>`);
  out.push(`<text transform="translate(20 ${(TOP + BOTTOM) / 2}) rotate(-90)" text-anchor="middle" fill="${NS_COLOR}">host ns per access</text>`);
  out.push(`<text transform="translate(${W - 18} ${(TOP + BOTTOM) / 2}) rotate(90)" text-anchor="middle" fill="${CYCLE_COLOR}">emulated cycles per access</text>`);

  // TLB-reach markers.
  for (const m of markers) {
    const px = x(m.pages);
    const color = m.minor ? '#999' : '#2ca02c';
    out.push(`<line x1="${f(px)}" y1="${TOP - 6}" x2="${f(px)}" y2="${BOTTOM}" stroke="${color}" stroke-width="${m.minor ? 1 : 1.5}" stroke-dasharray="${m.minor ? '2 3' : '6 4'}"/>`);
    // Major labels along the top; minor ones at the bottom, left of their line (the curves are high there).
    const anchor = m.minor ? ' text-anchor="end"' : '';
    out.push(`<text x="${f(m.minor ? px - 4 : px + 4)}" y="${m.minor ? BOTTOM - 8 : TOP + 8}" fill="${color}"${anchor}>${escape(m.label)}</text>`);
  }

  // Series: ns with a ±sd band, cycles.
  const band = [...points.map((p) => `${f(x(p.pages))},${f(yNs(p.nsPerAccess + p.nsSd))}`), ...[...points].reverse().map((p) => `${f(x(p.pages))},${f(yNs(Math.max(0, p.nsPerAccess - p.nsSd)))}`)];
  out.push(`<polygon points="${band.join(' ')}" fill="${NS_COLOR}" fill-opacity="0.12" stroke="none"/>`);
  out.push(`<polyline points="${points.map((p) => `${f(x(p.pages))},${f(yNs(p.nsPerAccess))}`).join(' ')}" fill="none" stroke="${NS_COLOR}" stroke-width="2"/>`);
  for (const p of points) out.push(`<circle cx="${f(x(p.pages))}" cy="${f(yNs(p.nsPerAccess))}" r="3" fill="${NS_COLOR}"><title>${p.pages} pages: ${p.nsPerAccess.toFixed(1)} ± ${p.nsSd.toFixed(1)} ns/access</title></circle>`);
  out.push(`<polyline points="${points.map((p) => `${f(x(p.pages))},${f(yCy(p.cyclesPerAccess))}`).join(' ')}" fill="none" stroke="${CYCLE_COLOR}" stroke-width="2" stroke-dasharray="5 3"/>`);
  for (const p of points) out.push(`<rect x="${f(x(p.pages) - 3)}" y="${f(yCy(p.cyclesPerAccess) - 3)}" width="6" height="6" fill="${CYCLE_COLOR}"><title>${p.pages} pages: ${p.cyclesPerAccess.toFixed(2)} cycles/access</title></rect>`);

  // Legend.
  const ly = TOP + 52;
  out.push(`<rect x="${LEFT + 12}" y="${ly - 14}" width="250" height="46" fill="#fff" stroke="#ccc"/>`);
  out.push(`<line x1="${LEFT + 20}" y1="${ly}" x2="${LEFT + 44}" y2="${ly}" stroke="${NS_COLOR}" stroke-width="2"/><text x="${LEFT + 50}" y="${ly + 4}">host ns per access (band: ± sd)</text>`);
  out.push(`<line x1="${LEFT + 20}" y1="${ly + 20}" x2="${LEFT + 44}" y2="${ly + 20}" stroke="${CYCLE_COLOR}" stroke-width="2" stroke-dasharray="5 3"/><text x="${LEFT + 50}" y="${ly + 24}">emulated cycles per access</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
