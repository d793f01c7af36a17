package dev.dsire.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small SVG line chart: numeric axes with ticks and titles, one or more series (points joined by
 * lines, optional vertical bars), an optional dashed reference line, and a legend.
 */
record LineChart(String xTitle, String yTitle, double xMin, double xMax, double yMin, double yMax, boolean logX,
                 List<Series> series, double[] reference, String referenceLabel) {
    static final String[] COLORS = {"#1f6fd1", "#e07b00", "#2a9d3a", "#c0392b", "#7d3cb5", "#8c6d31", "#d6338a", "#555555"};
    private static final int W = 460, H = 320, LEFT = 58, RIGHT = 14, TOP = 14, BOTTOM = 46;

    /** One line: points (x, y) with optional bar ends (lo, hi), NaN where absent. */
    record Series(String label, String color, double[] x, double[] y, double[] lo, double[] hi) {}

    static String color(int i) {
        return COLORS[i % COLORS.length];
    }

    private double px(double x) {
        double t = logX ? (Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin)) : (x - xMin) / (xMax - xMin);
        return LEFT + t * (W - LEFT - RIGHT);
    }

    private double py(double y) {
        return H - BOTTOM - (y - yMin) / (yMax - yMin) * (H - TOP - BOTTOM);
    }

    String svg() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"11\">", W, H));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>",
                LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM));
        for (double t : ticks(yMin, yMax, false)) {
            double y = py(t);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>", LEFT + 1, y, W - RIGHT - 1, y));
            s.append(HtmlReport.text(LEFT - 5, (int) Math.round(y + 4), "end", label(t)));
        }
        for (double t : ticks(xMin, xMax, logX)) {
            double x = px(t);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\"/>", x, H - BOTTOM, x, H - BOTTOM + 4));
            s.append(HtmlReport.text((int) Math.round(x), H - BOTTOM + 16, "middle", label(t)));
        }
        s.append(HtmlReport.text(LEFT + (W - LEFT - RIGHT) / 2, H - 8, "middle", xTitle));
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>",
                TOP + (H - TOP - BOTTOM) / 2, TOP + (H - TOP - BOTTOM) / 2, HtmlReport.esc(yTitle)));
        if (reference != null) {
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"5 4\"/>",
                    px(reference[0]), py(reference[1]), px(reference[2]), py(reference[3])));
        }
        for (Series se : series) {
            StringBuilder path = new StringBuilder();
            for (int i = 0; i < se.x().length; i++) {
                if (Double.isNaN(se.y()[i])) {
                    continue;
                }
                double x = px(se.x()[i]), y = py(se.y()[i]);
                if (se.lo() != null && !Double.isNaN(se.lo()[i])) {
                    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" opacity=\".5\"/>",
                            x, py(se.lo()[i]), x, py(se.hi()[i]), se.color()));
                }
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\"/>", x, y, se.color()));
                path.append(path.isEmpty() ? "M" : "L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            }
            s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(se.color()).append("\"/>");
        }
        legend(s);
        return s.append("</svg>").toString();
    }

    private void legend(StringBuilder s) {
        List<String[]> items = new ArrayList<>();
        for (Series se : series) {
            items.add(new String[] {se.label(), se.color(), ""});
        }
        if (reference != null && referenceLabel != null) {
            items.add(new String[] {referenceLabel, "#999", "5 4"});
        }
        int x = LEFT + 8, y = TOP + 8, w = 10 + 7 * items.stream().mapToInt(i -> i[0].length()).max().orElse(0) + 26;
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" fill-opacity=\".85\" stroke=\"#ccc\"/>",
                x, y, w, 8 + 15 * items.size()));
        for (int i = 0; i < items.size(); i++) {
            int yy = y + 12 + 15 * i;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>",
                    x + 6, yy, x + 24, yy, items.get(i)[1], items.get(i)[2].isEmpty() ? "" : " stroke-dasharray=\"" + items.get(i)[2] + "\""));
            s.append(HtmlReport.text(x + 30, yy + 4, "start", items.get(i)[0]));
        }
    }

    /** About five round ticks; on a log axis the 1-2-5 decades within range. */
    static List<Double> ticks(double lo, double hi, boolean log) {
        List<Double> out = new ArrayList<>();
        if (log) {
            for (double d = Math.pow(10, Math.floor(Math.log10(lo))); d <= hi * 1.0001; d *= 10) {
                for (double m : new double[] {1, 2, 5}) {
                    if (d * m >= lo * 0.9999 && d * m <= hi * 1.0001) {
                        out.add(d * m);
                    }
                }
            }
            return out;
        }
        double span = hi - lo, raw = span / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (raw <= m * mag) {
                step = m * mag;
                break;
            }
        }
        for (double t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * span; t += step) {
            out.add(Math.abs(t) < 1e-12 * span ? 0 : t);
        }
        return out;
    }

    private static String label(double t) {
        return t == Math.rint(t) && Math.abs(t) < 1e7 ? String.valueOf((long) t) : String.format(Locale.ROOT, "%.2g", t);
    }
}
