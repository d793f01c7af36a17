package dev.dsire.eval;

import java.util.List;

/** Mean and population standard deviation (ddof = 0, as numpy) over the protocol's repeats. */
public record Summary(double mean, double std) {

    public static Summary of(List<Double> xs) {
        double m = xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double v = xs.stream().mapToDouble(x -> (x - m) * (x - m)).average().orElse(Double.NaN);
        return new Summary(m, Math.sqrt(v));
    }

    /** "1.23 ± 0.45". */
    public String format(int decimals) {
        return String.format(java.util.Locale.ROOT, "%." + decimals + "f ± %." + decimals + "f", mean, std);
    }
}
