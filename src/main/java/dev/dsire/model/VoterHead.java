package dev.dsire.model;

import java.util.List;

/**
 * A fitted per-voter classifier for the rules that are not nearest-neighbour (Table 5's ridge and
 * GDA). Both are refitted from the stored references when a model loads, so model files keep only data.
 */
sealed interface VoterHead {

    /** Index (into the model's ascending training sizes) of this voter's answer. */
    int vote(double[] q);

    static VoterHead fit(VoterRule rule, NearestNeighbour refs, int[] classOf, List<Integer> sizes) {
        return switch (rule) {
            case RIDGE -> Ridge.fit(refs, classOf, sizes);
            case GDA -> Gda.fit(refs, classOf, sizes.size());
            default -> throw new IllegalArgumentException(rule.key() + " has no fitted head");
        };
    }

    /** Ridge regression (λ = 1 on standardised features) of the size; the answer snaps to the nearest training size. */
    record Ridge(Standardiser z, double[] beta, double intercept, List<Integer> sizes) implements VoterHead {
        static final double LAMBDA = 1.0;

        static Ridge fit(NearestNeighbour refs, int[] classOf, List<Integer> sizes) {
            int d = refs.dim(), n = refs.size();
            Standardiser z = Standardiser.fit(refs.refs(), d);
            double ybar = 0;
            for (int i = 0; i < n; i++) {
                ybar += sizes.get(classOf[i]) / (double) n;
            }
            double[] a = new double[d * d], b = new double[d];
            for (int i = 0; i < n; i++) {
                double[] x = z.apply(refs.ref(i));
                double y = sizes.get(classOf[i]) - ybar;
                for (int r = 0; r < d; r++) {
                    b[r] += x[r] * y;
                    for (int c = 0; c < d; c++) {
                        a[r * d + c] += x[r] * x[c];
                    }
                }
            }
            for (int r = 0; r < d; r++) {
                a[r * d + r] += LAMBDA;
            }
            return new Ridge(z, Cholesky.of(a, d).solve(b), ybar, sizes);
        }

        @Override
        public int vote(double[] q) {
            double[] x = z.apply(q);
            double y = intercept;
            for (int j = 0; j < x.length; j++) {
                y += beta[j] * x[j];
            }
            int best = 0;
            for (int k = 1; k < sizes.size(); k++) {
                if (Math.abs(sizes.get(k) - y) < Math.abs(sizes.get(best) - y)) {
                    best = k; // strictly nearer: a tie keeps the smaller size
                }
            }
            return best;
        }
    }

    /**
     * Linear Gaussian discriminant analysis on standardised features: class means and one pooled
     * covariance shrunk 10% towards its mean variance (15 adapters per class cannot fill a full one).
     */
    record Gda(Standardiser z, double[][] means, Cholesky cov) implements VoterHead {
        static final double SHRINK = 0.1;

        static Gda fit(NearestNeighbour refs, int[] classOf, int classes) {
            int d = refs.dim(), n = refs.size();
            Standardiser z = Standardiser.fit(refs.refs(), d);
            double[][] means = new double[classes][d];
            int[] count = new int[classes];
            double[][] x = new double[n][];
            for (int i = 0; i < n; i++) {
                x[i] = z.apply(refs.ref(i));
                count[classOf[i]]++;
                for (int j = 0; j < d; j++) {
                    means[classOf[i]][j] += x[i][j];
                }
            }
            for (int k = 0; k < classes; k++) {
                for (int j = 0; j < d; j++) {
                    means[k][j] /= Math.max(1, count[k]);
                }
            }
            double[] s = new double[d * d];
            for (int i = 0; i < n; i++) {
                for (int r = 0; r < d; r++) {
                    double dr = x[i][r] - means[classOf[i]][r];
                    for (int c = 0; c < d; c++) {
                        s[r * d + c] += dr * (x[i][c] - means[classOf[i]][c]) / n;
                    }
                }
            }
            double trace = 0;
            for (int r = 0; r < d; r++) {
                trace += s[r * d + r] / d;
            }
            trace = Math.max(trace, 1e-9);
            for (int r = 0; r < d; r++) {
                for (int c = 0; c < d; c++) {
                    s[r * d + c] = (1 - SHRINK) * s[r * d + c] + (r == c ? SHRINK * trace : 0);
                }
            }
            return new Gda(z, means, Cholesky.of(s, d));
        }

        @Override
        public int vote(double[] q) {
            double[] x = z.apply(q);
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < means.length; k++) {
                double[] diff = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    diff[j] = x[j] - means[k][j];
                }
                double[] w = cov.solve(diff);
                double m = 0;
                for (int j = 0; j < x.length; j++) {
                    m += diff[j] * w[j];
                }
                if (-m > bestScore) {
                    bestScore = -m;
                    best = k;
                }
            }
            return best;
        }
    }
}
