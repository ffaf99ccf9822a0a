// Which exposition format a scrape's Accept header asks for. Prometheus lists the protobuf format
// first (with the highest q) only when it can ingest native histograms; every other scraper gets
// the text it has always had.

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    if (type === '') continue;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  return ranges;
}

function isProtobuf(range: MediaRange): boolean {
  return (
    range.type === 'application/vnd.google.protobuf' &&
    range.params.get('proto') === 'io.prometheus.client.MetricFamily' &&
    range.params.get('encoding') === 'delimited'
  );
}

/**
 * True when `accept` names the delimited MetricFamily protobuf format with a q above 0 and at
 * least that of any other range it lists (text, OpenMetrics, wildcards). No header means text.
 */
export function acceptsProtobuf(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false;
  let protobuf = 0;
  let other = 0;
  for (const range of parseAccept(accept)) {
    if (isProtobuf(range)) protobuf = Math.max(protobuf, range.q);
    else other = Math.max(other, range.q);
  }
  return protobuf > 0 && protobuf >= other;
}
