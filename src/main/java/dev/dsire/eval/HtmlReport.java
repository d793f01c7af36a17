package dev.dsire.eval;

import dev.dsire.spectra.LayerSpectrum;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched): per data set,
 * the results table (with interval coverage), confusion matrices, the reliability diagram of the
 * probabilistic methods, how the update's norm and top singular value move with dataset size, and
 * when asked the unseen-size table and the training-groups sweep. Every plot has axis titles,
 * tick labels and a legend.
 */
public final class HtmlReport {

    /** One evaluated data set, with the optional unseen-size results and training-groups sweep. */
    public record Section(String name, List<Sample> samples, List<MethodResult> results, Protocol protocol, Set<Integer> unseenSizes,
                          List<UnseenResult> unseen, List<SweepPoint> sweep) {
        public Section(String name, List<Sample> samples, List<MethodResult> results, Protocol protocol) {
            this(name, samples, results, protocol, Set.of(), List.of(), List.of());
        }
    }

    private HtmlReport() {}

    public static void write(Path out, String title, List<Section> sections) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}")
                .append("th:first-child,td:first-child{text-align:left}h2{margin-top:2em}.plots{display:flex;gap:24px;flex-wrap:wrap}")
                .append("figure{margin:0}figcaption{font-size:12px;color:#555;max-width:460px}")
                .append("</style></head><body><h1>").append(esc(title)).append("</h1>");
        for (Section s : sections) {
            section(h, s);
        }
        h.append("<p style=\"color:#777;font-size:12px\">Written by dsire. MAE and MAPE are in images and percent; accuracy is exact-size hits; ")
                .append("coverage80 is the share of test adapters whose true size lies in the method's 80% credible interval. ")
                .append("Mean ± population std over the protocol's repeats.</p></body></html>\n");
        Files.writeString(out, h);
    }

    private static void section(StringBuilder h, Section s) {
        long groups = s.samples().stream().map(Sample::group).distinct().count();
        h.append("<h2>").append(esc(s.name())).append("</h2><p>").append(s.samples().size()).append(" adapters, ").append(groups)
                .append(" groups; ").append(s.protocol().trainGroups()).append(" train groups, ").append(s.protocol().repeats())
                .append(" repeats, seed ").append(s.protocol().seed()).append(".</p>");
        h.append("<table><tr><th>method</th><th>composition</th><th>MAE</th><th>MAPE %</th><th>accuracy %</th><th>coverage80</th>")
                .append("<th>out of distribution</th></tr>");
        for (MethodResult r : s.results()) {
            h.append("<tr><td>").append(r.method().key()).append("</td><td style=\"text-align:left;font-size:12px\">")
                    .append(esc(r.method().composition())).append("</td><td>").append(r.mae().format(2)).append("</td><td>")
                    .append(r.mape().format(1)).append("</td><td>").append(r.accuracy().format(1)).append("</td><td>")
                    .append(r.method().probabilistic() ? r.coverage80().format(2) : "–").append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.1f%%", 100 * r.oodRate())).append("</td></tr>");
        }
        h.append("</table><h3>Recall per true size</h3><table><tr><th>method</th>");
        for (int size : s.results().getFirst().confusion().sizes()) {
            h.append("<th>").append(size).append("</th>");
        }
        h.append("</tr>");
        for (MethodResult r : s.results()) {
            h.append("<tr><td>").append(r.method().key()).append("</td>");
            r.confusion().recall().values().forEach(v -> h.append("<td>").append(Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v)).append("</td>"));
            h.append("</tr>");
        }
        h.append("</table><div class=\"plots\">");
        MethodResult first = s.results().getFirst();
        h.append("<figure>").append(confusionSvg(first.confusion())).append("<figcaption>Confusion of ").append(first.method().key())
                .append(" over all repeats: rows are true sizes, columns predicted sizes.</figcaption></figure>");
        // the default method's confusion beside the first method's (else the first calibrated method's)
        s.results().stream().filter(r -> r.method().equals(dev.dsire.model.Method.DEFAULT)).findFirst()
                .or(() -> s.results().stream().filter(r -> r.method().probabilistic()).findFirst()).filter(r -> r != first).ifPresent(r ->
                h.append("<figure>").append(confusionSvg(r.confusion())).append("<figcaption>Confusion of ").append(r.method().key())
                        .append(r.method().equals(dev.dsire.model.Method.DEFAULT) ? " (the default method)" : "")
                        .append(" over all repeats.</figcaption></figure>"));
        List<MethodResult> probabilistic = s.results().stream().filter(r -> r.method().probabilistic()).toList();
        if (!probabilistic.isEmpty()) {
            h.append("<figure>").append(reliabilitySvg(probabilistic)).append("<figcaption>Reliability: test adapters binned by the probability ")
                    .append("the method gave its answer; a calibrated method lies on the diagonal. ECE: ")
                    .append(String.join(", ", probabilistic.stream().map(r -> String.format(Locale.ROOT, "%s %.3f", r.method().key(),
                            r.reliability().expectedCalibrationError())).toList()))
                    .append(".</figcaption></figure>");
        }
        h.append("<figure>").append(trendSvg(s.samples())).append("<figcaption>Per adapter, summed over layers: ‖s·B·A‖<sub>F</sub> and σ<sub>1</sub>(B), ")
                .append("each scaled to its largest value; dots are means per size, bars the min–max range.</figcaption></figure></div>");
        if (!s.unseen().isEmpty()) {
            h.append("<h3>Sizes never seen in training: ").append(esc(s.unseenSizes().toString())).append("</h3>")
                    .append("<p>Fitted on the training groups without these sizes, tested on the held-out groups' adapters of them; ")
                    .append("the error is that of each method's continuous estimate (a vote method can only answer a trained size).</p>")
                    .append("<table><tr><th>method</th><th>MAE</th><th>MAPE %</th><th>coverage80</th>");
            for (int u : s.unseenSizes()) {
                h.append("<th>MAE at ").append(u).append("</th>");
            }
            h.append("</tr>");
            for (UnseenResult r : s.unseen()) {
                h.append("<tr><td>").append(r.method().key()).append("</td><td>").append(r.mae().format(2)).append("</td><td>")
                        .append(r.mape().format(1)).append("</td><td>").append(r.method().probabilistic() ? r.coverage80().format(2) : "–")
                        .append("</td>");
                for (int u : s.unseenSizes()) {
                    Double v = r.maeBySize().get(u);
                    h.append("<td>").append(v == null ? "–" : String.format(Locale.ROOT, "%.2f", v)).append("</td>");
                }
                h.append("</tr>");
            }
            h.append("</table>");
        }
        if (!s.sweep().isEmpty()) {
            h.append("<h3>Training groups (Figure 5)</h3><div class=\"plots\">")
                    .append("<figure>").append(sweepSvg(s.sweep(), true)).append("<figcaption>Accuracy against the number of training groups ")
                    .append("(mean ± std over repeats).</figcaption></figure>")
                    .append("<figure>").append(sweepSvg(s.sweep(), false)).append("<figcaption>MAE against the number of training groups ")
                    .append("(mean ± std over repeats).</figcaption></figure></div>");
        }
    }

    private static String reliabilitySvg(List<MethodResult> results) {
        List<LineChart.Series> series = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            Reliability r = results.get(i).reliability();
            List<double[]> pts = new ArrayList<>();
            for (int b = 0; b < Reliability.BINS; b++) {
                if (r.count()[b] > 0) {
                    pts.add(new double[] {r.confidenceSum()[b] / r.count()[b], (double) r.hits()[b] / r.count()[b]});
                }
            }
            series.add(new LineChart.Series(results.get(i).method().key(), LineChart.color(i + 1),
                    pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray(), null, null));
        }
        return new LineChart("probability given to the answer", "observed accuracy", 0, 1, 0, 1, false, series,
                new double[] {0, 0, 1, 1}, "perfect calibration").svg();
    }

    private static String sweepSvg(List<SweepPoint> sweep, boolean accuracy) {
        List<String> methods = sweep.stream().map(p -> p.method().key()).distinct().toList();
        List<LineChart.Series> series = new ArrayList<>();
        double max = 0;
        int maxGroups = sweep.stream().mapToInt(SweepPoint::trainGroups).max().orElse(1);
        for (int i = 0; i < methods.size(); i++) {
            String m = methods.get(i);
            List<SweepPoint> pts = sweep.stream().filter(p -> p.method().key().equals(m)).toList();
            double[] x = pts.stream().mapToDouble(SweepPoint::trainGroups).toArray();
            double[] y = pts.stream().mapToDouble(p -> (accuracy ? p.accuracy() : p.mae()).mean()).toArray();
            double[] lo = pts.stream().mapToDouble(p -> (accuracy ? p.accuracy() : p.mae()).mean() - (accuracy ? p.accuracy() : p.mae()).std()).toArray();
            double[] hi = pts.stream().mapToDouble(p -> (accuracy ? p.accuracy() : p.mae()).mean() + (accuracy ? p.accuracy() : p.mae()).std()).toArray();
            for (double v : hi) {
                max = Math.max(max, v);
            }
            series.add(new LineChart.Series(m, LineChart.color(i), x, y, lo, hi));
        }
        return new LineChart("training groups", accuracy ? "accuracy (%)" : "MAE (images)", 0.5, maxGroups + 0.5, 0,
                accuracy ? 100 : Math.max(1e-9, max * 1.1), false, series, null, null).svg();
    }

    private static String confusionSvg(Confusion c) {
        int n = c.sizes().size(), cell = Math.max(18, 300 / Math.max(n, 1)), pad = 56;
        long max = 1;
        for (long[] row : c.counts()) {
            for (long v : row) {
                max = Math.max(max, v);
            }
        }
        StringBuilder s = new StringBuilder();
        int w = pad + n * cell + 10, legendX = w + 6;
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">", w + 90, w));
        s.append(text(pad + n * cell / 2, 14, "middle", "predicted size"));
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">true size</text>",
                pad + n * cell / 2, pad + n * cell / 2));
        // legend: the colour scale of counts
        s.append(text(legendX, pad - 6, "start", "count"));
        for (int i = 0; i <= 4; i++) {
            int shade = (int) Math.round(255 - 200 * i / 4.0);
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"16\" height=\"16\" fill=\"rgb(%d,%d,255)\" stroke=\"#ccc\"/>",
                    legendX, pad + i * 18, shade, shade));
            s.append(text(legendX + 22, pad + i * 18 + 12, "start", String.valueOf(Math.round(max * i / 4.0))));
        }
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
        List<Integer> sizes = List.copyOf(norm.keySet());
        List<LineChart.Series> series = List.of(scaled("‖s·B·A‖F", LineChart.color(0), norm, sizes), scaled("σ1(B)", LineChart.color(1), sigma, sizes));
        double lo = sizes.getFirst(), hi = sizes.getLast();
        boolean log = hi / lo > 8;
        return new LineChart("dataset size (images)", "relative value (max = 1)", log ? lo / 1.3 : lo - 0.5, log ? hi * 1.3 : hi + 0.5,
                0, 1.05, log, series, null, null).svg();
    }

    private static LineChart.Series scaled(String label, String color, Map<Integer, double[]> m, List<Integer> sizes) {
        double max = 0;
        for (double[] a : m.values()) {
            max = Math.max(max, a[3]);
        }
        double k = max == 0 ? 0 : 1 / max;
        int n = sizes.size();
        double[] x = new double[n], y = new double[n], lo = new double[n], hi = new double[n];
        for (int i = 0; i < n; i++) {
            double[] a = m.get(sizes.get(i));
            x[i] = sizes.get(i);
            y[i] = a[0] / a[1] * k;
            lo[i] = a[2] * k;
            hi[i] = a[3] * k;
        }
        return new LineChart.Series(label, color, x, y, lo, hi);
    }

    private static void accumulate(Map<Integer, double[]> m, int size, double v) {
        double[] a = m.computeIfAbsent(size, k -> new double[] {0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
        a[0] += v;
        a[1]++;
        a[2] = Math.min(a[2], v);
        a[3] = Math.max(a[3], v);
    }

    static String text(int x, int y, String anchor, String t) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>", x, y, anchor, esc(t));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
