package dev.dsire.eval;

import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched): per data set,
 * the results table, the confusion matrix of the first method, and how the update's norm and
 * top singular value move with dataset size.
 */
public final class HtmlReport {

    /** One evaluated data set. */
    public record Section(String name, List<Sample> samples, List<MethodResult> results, Protocol protocol) {}

    private HtmlReport() {}

    public static void write(Path out, String title, List<Section> sections) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
                .append("th:first-child,td:first-child{text-align:left}h2{margin-top:2em}.plots{display:flex;gap:24px;flex-wrap:wrap}")
                .append("figure{margin:0}figcaption{font-size:12px;color:#555;max-width:440px}")
                .append("</style></head><body><h1>").append(esc(title)).append("</h1>");
        for (Section s : sections) {
            section(h, s);
        }
        h.append("<p style=\"color:#777;font-size:12px\">Written by dsire. MAE and MAPE are in images and percent; accuracy is exact-size hits. ")
                .append("Mean ± population std over the protocol's repeats.</p></body></html>\n");
        Files.writeString(out, h);
    }

    private static void section(StringBuilder h, Section s) {
        long groups = s.samples().stream().map(Sample::group).distinct().count();
        h.append("<h2>").append(esc(s.name())).append("</h2><p>").append(s.samples().size()).append(" adapters, ").append(groups)
                .append(" groups; ").append(s.protocol().trainGroups()).append(" train groups, ").append(s.protocol().repeats())
                .append(" repeats, seed ").append(s.protocol().seed()).append(".</p>");
        h.append("<table><tr><th>method</th><th>MAE</th><th>MAPE %</th><th>accuracy %</th></tr>");
        for (MethodResult r : s.results()) {
            h.append("<tr><td>").append(r.method().key()).append("</td><td>").append(r.mae().format(2)).append("</td><td>")
                    .append(r.mape().format(1)).append("</td><td>").append(r.accuracy().format(1)).append("</td></tr>");
        }
        h.append("</table><div class=\"plots\">");
        MethodResult first = s.results().getFirst();
        h.append("<figure>").append(confusionSvg(first.confusion())).append("<figcaption>Confusion of ").append(first.method().key())
                .append(" over all repeats: rows are true sizes, columns predicted sizes.</figcaption></figure>");
        h.append("<figure>").append(trendSvg(s.samples())).append("<figcaption>Per adapter, summed over layers: ‖s·B·A‖<sub>F</sub> (blue) and σ<sub>1</sub>(B) (orange), ")
                .append("each scaled to its largest mean; dots are means per size, bars the min–max range.</figcaption></figure></div>");
    }

    private static String confusionSvg(Confusion c) {
        int n = c.sizes().size(), cell = Math.max(18, 300 / Math.max(n, 1)), pad = 40;
        long max = 1;
        for (long[] row : c.counts()) {
            for (long v : row) {
                max = Math.max(max, v);
            }
        }
        StringBuilder s = new StringBuilder();
        int w = pad + n * cell + 10;
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">", w, w));
        for (int i = 0; i < n; i++) {
            s.append(text(pad - 4, pad + i * cell + cell / 2 + 4, "end", String.valueOf(c.sizes().get(i))));
            s.append(text(pad + i * cell + cell / 2, pad - 6, "middle", String.valueOf(c.sizes().get(i))));
            for (int j = 0; j < n; j++) {
                long v = c.counts()[i][j];
                double t = (double) v / max;
                int shade = (int) Math.round(255 - 200 * t);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\" stroke=\"#fff\"/>",
                        pad + j * cell, pad + i * cell, cell, cell, shade, shade));
                if (v > 0 && cell >= 22) {
                    s.append(text(pad + j * cell + cell / 2, pad + i * cell + cell / 2 + 4, "middle", String.valueOf(v)));
                }
            }
        }
        return s.append("</svg>").toString();
    }

    private static String trendSvg(List<Sample> samples) {
        Map<Integer, double[]> norm = new TreeMap<>(), sigma = new TreeMap<>(); // size → {sum, count, min, max}
        for (Sample smp : samples) {
            double n = 0, s1 = 0;
            for (LayerSpectrum l : smp.spectra().layers()) {
                n += l.normBA();
                s1 += l.b()[0];
            }
            accumulate(norm, smp.size(), n);
            accumulate(sigma, smp.size(), s1);
        }
        int w = 440, h = 300, left = 40, bottom = 30, top = 12;
        List<Integer> sizes = List.copyOf(norm.keySet());
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">", w, h));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", left, h - bottom, w - 10, h - bottom));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", left, top, left, h - bottom));
        double step = (w - left - 30.0) / Math.max(1, sizes.size() - 1);
        for (int i = 0; i < sizes.size(); i++) {
            s.append(text((int) (left + 10 + i * step), h - bottom + 15, "middle", String.valueOf(sizes.get(i))));
        }
        s.append(text(w / 2, h - 3, "middle", "dataset size (images)"));
        series(s, norm, sizes, "#1f6fd1", left, step, h - bottom, top);
        series(s, sigma, sizes, "#e07b00", left, step, h - bottom, top);
        return s.append("</svg>").toString();
    }

    private static void accumulate(Map<Integer, double[]> m, int size, double v) {
        double[] a = m.computeIfAbsent(size, k -> new double[] {0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
        a[0] += v;
        a[1]++;
        a[2] = Math.min(a[2], v);
        a[3] = Math.max(a[3], v);
    }

    private static void series(StringBuilder s, Map<Integer, double[]> m, List<Integer> sizes, String color, int left, double step, int y0, int top) {
        double max = 0;
        for (double[] a : m.values()) {
            max = Math.max(max, a[3]);
        }
        double scale = max == 0 ? 0 : (y0 - top) / max;
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < sizes.size(); i++) {
            double[] a = m.get(sizes.get(i));
            double x = left + 10 + i * step, mean = a[0] / a[1];
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" opacity=\".5\"/>",
                    x, y0 - a[2] * scale, x, y0 - a[3] * scale, color));
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", x, y0 - mean * scale, color));
            path.append(i == 0 ? "M" : "L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y0 - mean * scale));
        }
        s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color).append("\"/>");
    }

    private static String text(int x, int y, String anchor, String t) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>", x, y, anchor, esc(t));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
