package dev.dsire.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dsire.scan.ScanRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The hub report: one self-contained HTML file (inline CSS, SVG and a small script; nothing
 * fetched) of a scan: counts by family, format and status; per family the distribution of declared
 * and inferred sizes; the files whose declared size disagrees with the answer; the answers flagged
 * outside what their model knows; and, given the hub's index, each layout's cross-validated scores.
 * Built in one pass over the rows; the lists keep at most {@link #LISTED} rows each.
 */
public final class HubReport {
    /** The most files a list shows; the rest are counted. */
    public static final int LISTED = 1000;
    private static final Set<String> FLAGGED = Set.of("out_of_distribution", "above_range", "below_range");

    private final Map<String, Long> families = new TreeMap<>();
    private final Map<String, Long> formats = new TreeMap<>();
    private final Map<String, Long> statuses = new TreeMap<>();
    private final Map<String, TreeMap<Integer, long[]>> sizes = new TreeMap<>(); // family → size → {declared, inferred}
    private final List<ScanRow> disagree = new ArrayList<>();
    private final List<ScanRow> flagged = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private long disagreeing;
    private long flaggedCount;
    private long rows;

    /** Adds one row (a file, or a file and one model's answer). */
    public void add(ScanRow r) {
        rows++;
        String path = (String) r.get("path");
        String family = r.get("family") == null ? "(not read)" : (String) r.get("family");
        if (seen.add(path)) { // a file answered by several models is counted once here
            families.merge(family, 1L, Long::sum);
            formats.merge(r.get("format") == null ? "(not read)" : (String) r.get("format"), 1L, Long::sum);
            Integer declared = (Integer) r.get("declared_images");
            if (declared != null) {
                sizes.computeIfAbsent(family, f -> new TreeMap<>()).computeIfAbsent(declared, s -> new long[2])[0]++;
            }
        }
        statuses.merge((String) r.get("status"), 1L, Long::sum);
        Integer predicted = (Integer) r.get("prediction");
        if (predicted != null) {
            sizes.computeIfAbsent(family, f -> new TreeMap<>()).computeIfAbsent(predicted, s -> new long[2])[1]++;
        }
        if (Boolean.FALSE.equals(r.get("agrees"))) {
            disagreeing++;
            if (disagree.size() < LISTED) {
                disagree.add(r);
            }
        }
        if (FLAGGED.contains((String) r.get("status"))) {
            flaggedCount++;
            if (flagged.size() < LISTED) {
                flagged.add(r);
            }
        }
    }

    /**
     * @param layouts the hub index's fitted layouts by name (each with its "cv" scores), or null
     *                when no index was given
     */
    public void write(Path out, String title, Map<String, JsonNode> layouts) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(HtmlReport.esc(title)).append("</title><style>")
                .append("body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
                .append("th{cursor:pointer}td.t,th.t{text-align:left}h2{margin-top:2em}.plots{display:flex;gap:24px;flex-wrap:wrap}")
                .append("figure{margin:0}figcaption{font-size:12px;color:#555;max-width:460px}.count{color:#777;font-size:12px}")
                .append("</style></head><body><h1>").append(HtmlReport.esc(title)).append("</h1>");
        h.append("<p id=\"totals\">").append(seen.size()).append(" files, ").append(rows).append(" rows (a row per file and model that answered it).</p>");
        h.append("<h2 id=\"counts\">Counts</h2><div class=\"plots\">");
        counts(h, "by-family", "family", "files", families);
        counts(h, "by-format", "format", "files", formats);
        counts(h, "by-status", "status", "rows", statuses);
        h.append("</div>");

        h.append("<h2 id=\"sizes\">Declared and inferred sizes per family</h2><div class=\"plots\">");
        sizes.forEach((family, bySize) -> {
            List<Integer> s = List.copyOf(bySize.keySet());
            double[] x = s.stream().mapToDouble(Integer::doubleValue).toArray();
            double[] declared = s.stream().mapToDouble(k -> bySize.get(k)[0]).toArray();
            double[] inferred = s.stream().mapToDouble(k -> bySize.get(k)[1]).toArray();
            double yMax = Math.max(1, Math.max(max(declared), max(inferred))) * 1.1;
            double lo = s.getFirst(), hi = s.getLast();
            if (lo == hi) {
                lo = Math.max(0.5, lo / 2);
                hi = hi * 2;
            }
            LineChart chart = new LineChart("size (images, log scale)", "files", lo, hi, 0, yMax, true,
                    List.of(new LineChart.Series("declared in metadata", LineChart.color(0), x, declared, null, null),
                            new LineChart.Series("inferred by a model", LineChart.color(1), x, inferred, null, null)), null, null);
            h.append("<figure class=\"sizes\" data-family=\"").append(HtmlReport.esc(family)).append("\"><h3>")
                    .append(HtmlReport.esc(family)).append(": training-set sizes</h3>").append(chart.svg())
                    .append("<figcaption>Files per size: declared by their metadata, and inferred from their weights by the model of their layout.")
                    .append("</figcaption></figure>");
        });
        if (sizes.isEmpty()) {
            h.append("<p>No file declares a size and no model answered.</p>");
        }
        h.append("</div>");

        h.append("<h2 id=\"disagree\">Declared size outside the answer</h2><p>").append(disagreeing)
                .append(" rows whose declared size lies outside the model's 80% interval (a vote method: differs from its answer)")
                .append(disagreeing > LISTED ? "; the first " + LISTED + " by path:" : ":").append("</p>");
        list(h, "disagree-list", disagree, true);
        h.append("<h2 id=\"flagged\">Unlike what the model was fitted on</h2><p>").append(flaggedCount)
                .append(" answers flagged out_of_distribution, above_range or below_range")
                .append(flaggedCount > LISTED ? "; the first " + LISTED + " by path:" : ":").append("</p>");
        list(h, "flagged-list", flagged, false);

        h.append("<h2 id=\"layouts\">How far to trust each layout's model</h2>");
        if (layouts == null) {
            h.append("<p>No hub index given (report --models DIR, the folder 'fit --from-scan' wrote).</p>");
        } else {
            h.append("<p>Cross-validated by training run on the files that declare their size: each run held out once.</p>")
                    .append("<table id=\"layout-table\"><thead><tr><th class=\"t\">layout</th><th class=\"t\">family</th><th>adapters</th><th>runs</th>")
                    .append("<th>MAE</th><th>constant-guess MAE</th><th>accuracy %</th><th>coverage80</th></tr></thead><tbody>");
            layouts.forEach((name, l) -> {
                JsonNode cv = l.path("cv");
                h.append("<tr><td class=\"t\">").append(HtmlReport.esc(name)).append("</td><td class=\"t\">").append(HtmlReport.esc(l.path("family").asText()))
                        .append("</td><td>").append(l.path("adapters").asInt()).append("</td><td>").append(l.path("runs").asInt())
                        .append("</td><td>").append(num(cv.path("mae"))).append("</td><td>").append(num(cv.path("constant_mae")))
                        .append("</td><td>").append(num(cv.path("accuracy"))).append("</td><td>").append(num(cv.path("coverage80"))).append("</td></tr>");
            });
            h.append("</tbody></table>");
        }
        h.append("<p class=\"count\">Written by dsire. Field meanings: docs/schema.md.</p>");
        h.append("<script>").append(SCRIPT).append("</script></body></html>\n");
        Files.writeString(out, h);
    }

    /** Row counts under each table, and click-to-sort headers. */
    private static final String SCRIPT = """
            for (const t of document.querySelectorAll('table')) {
              const body = t.tBodies[0];
              const n = body ? body.rows.length : 0;
              const p = document.createElement('div');
              p.className = 'count';
              p.dataset.rows = n;
              p.textContent = n + (n === 1 ? ' row' : ' rows') + ' (click a column to sort)';
              t.after(p);
              t.querySelectorAll('th').forEach((th, i) => th.addEventListener('click', () => {
                const rows = Array.from(body.rows);
                const key = r => { const v = r.cells[i].textContent; const x = parseFloat(v); return isNaN(x) ? v : x; };
                rows.sort((a, b) => { const x = key(a), y = key(b); return x < y ? -1 : x > y ? 1 : 0; });
                rows.forEach(r => body.appendChild(r));
              }));
            }
            document.body.dataset.ready = 'true';
            """;

    private static void counts(StringBuilder h, String id, String what, String unit, Map<String, Long> counts) {
        h.append("<table id=\"").append(id).append("\"><thead><tr><th class=\"t\">").append(what).append("</th><th>").append(unit)
                .append("</th></tr></thead><tbody>");
        counts.forEach((k, v) -> h.append("<tr><td class=\"t\">").append(HtmlReport.esc(k)).append("</td><td>").append(v).append("</td></tr>"));
        h.append("</tbody></table>");
    }

    private static void list(StringBuilder h, String id, List<ScanRow> rows, boolean declared) {
        h.append("<table id=\"").append(id).append("\"><thead><tr><th class=\"t\">path</th><th class=\"t\">model</th>")
                .append(declared ? "<th>declared</th>" : "<th class=\"t\">status</th>")
                .append("<th>prediction</th><th>interval80</th><th class=\"t\">").append(declared ? "label source" : "reason")
                .append("</th></tr></thead><tbody>");
        for (ScanRow r : rows) {
            Object iv = r.get("interval80");
            h.append("<tr><td class=\"t\">").append(HtmlReport.esc(String.valueOf(r.get("path")))).append("</td><td class=\"t\">")
                    .append(HtmlReport.esc(String.valueOf(r.get("model")))).append("</td><td").append(declared ? ">" : " class=\"t\">")
                    .append(HtmlReport.esc(String.valueOf(r.get(declared ? "declared_images" : "status")))).append("</td><td>")
                    .append(r.get("prediction")).append("</td><td>").append(iv == null ? "–" : ((List<?>) iv).get(0) + "–" + ((List<?>) iv).get(1))
                    .append("</td><td class=\"t\">").append(HtmlReport.esc(String.valueOf(r.get(declared ? "label_source" : "reason"))))
                    .append("</td></tr>");
        }
        h.append("</tbody></table>");
    }

    private static String num(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.2f", n.asDouble()) : "–";
    }

    private static double max(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, d);
        }
        return m;
    }
}
