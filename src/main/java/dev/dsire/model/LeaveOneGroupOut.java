package dev.dsire.model;

import java.util.Arrays;
import java.util.List;

/**
 * Fits a model's {@link Calibration} inside its training set: every training adapter is scored
 * against the training adapters of the other groups only, as a test adapter of an unseen group
 * would be. From those held-out distances come each voter's typical distance, the weights of
 * weighted votes and of the posterior, the posterior's interval mass, and the out-of-distribution threshold.
 */
final class LeaveOneGroupOut {
    /**
     * L2 penalty on the posterior's voter weights, per training adapter: it spreads weight over many
     * voters instead of a few lucky ones. Chosen on zoo-low only (0.02-0.3 measured), checked on the others.
     */
    static final double WEIGHT_PENALTY = 0.3;
    /**
     * Out of distribution: farther than 1.5× the farthest training adapter held out by group.
     * (Tukey's far-out fence, Q3 + 3·IQR, flagged 10-17% of the in-distribution test adapters of zoo-medium.)
     */
    static final double FENCE = 1.5;

    private final List<NearestNeighbour> index;
    private final int[] classOf;
    private final int classes;
    private final int[] group;
    /**
     * held[v][i][c]: voter v's distance from adapter i to class c among the other groups' adapters:
     * the nearest one's, or the mean of the k nearest for a rule that averages k (as at prediction).
     */
    private final double[][][] held;
    /** Share of training adapters held out by group whose interval must contain their size. */
    static final double INTERVAL_COVERAGE = 0.85;

    private LeaveOneGroupOut(List<NearestNeighbour> index, int[] classOf, int classes, int[] group, int k) {
        this.index = index;
        this.classOf = classOf;
        this.classes = classes;
        this.group = group;
        int n = classOf.length;
        held = new double[index.size()][n][];
        double[] best = new double[n * classes * k];
        for (int v = 0; v < index.size(); v++) {
            NearestNeighbour nn = index.get(v);
            Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int i = 0; i < n; i++) {
                double[] qi = nn.ref(i);
                for (int j = i + 1; j < n; j++) {
                    if (group[i] == group[j]) {
                        continue;
                    }
                    double d = nn.squaredDistance(j, qi);
                    NearestNeighbour.insert(best, (i * classes + classOf[j]) * k, k, d);
                    NearestNeighbour.insert(best, (j * classes + classOf[i]) * k, k, d);
                }
                held[v][i] = NearestNeighbour.meanOfRoots(Arrays.copyOfRange(best, i * classes * k, (i + 1) * classes * k), classes, k);
            }
        }
    }

    /**
     * The calibration of a model whose voters see classes through their k nearest adapters (1 for
     * every rule but the soft k-NN ones).
     */
    static Calibration fit(Combiner combiner, int k, List<NearestNeighbour> index, int[] classOf, List<Integer> sizes, int[] group) {
        int groups = (int) Arrays.stream(group).distinct().count();
        if (groups < 2) { // nothing to hold out: unit scales, equal weights, no OOD flag
            double[] ones = new double[index.size()];
            Arrays.fill(ones, 1);
            return new Calibration(ones, combiner.weighted() ? ones : new double[0], Double.POSITIVE_INFINITY,
                    Calibration.DEFAULT_INTERVAL_MASS);
        }
        LeaveOneGroupOut logo = new LeaveOneGroupOut(index, classOf, sizes.size(), group, k);
        double[] tau = logo.typicalDistances();
        double threshold = logo.oodThreshold(tau);
        if (combiner.probabilistic()) {
            double[][][] ll = logo.logLikelihoods(tau);
            double[] w = combiner == Combiner.POSTERIOR ? logo.equalWeights(ll) : logo.posteriorWeights(ll);
            return new Calibration(tau, w, threshold, logo.intervalMass(ll, w, sizes));
        }
        return new Calibration(tau, combiner == Combiner.WEIGHTED_VOTE ? logo.voteWeights() : new double[0], threshold,
                Calibration.DEFAULT_INTERVAL_MASS);
    }

    /** The held-out score of every training adapter: Σ_v w_v·ℓ_v over the classes. */
    private double[][] scores(double[][][] ll, double[] w) {
        int n = classOf.length;
        double[][] s = new double[n][classes];
        for (int v = 0; v < w.length; v++) {
            if (w[v] == 0) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < classes; c++) {
                    s[i][c] += w[v] * ll[v][i][c];
                }
            }
        }
        return s;
    }

    /**
     * Equal weights w = T/voters, T maximising the held-out log-likelihood of the true sizes: the
     * one temperature of the equal-weight posterior, which calibrates its probabilities.
     */
    private double[] equalWeights(double[][][] ll) {
        int voters = ll.length;
        double[] unit = new double[voters];
        Arrays.fill(unit, 1.0 / voters);
        double[][] s = scores(ll, unit);
        double bestT = 1, best = Double.NEGATIVE_INFINITY;
        for (double t = 1e-3; t <= 1e4; t *= 1.05) {
            double total = 0;
            for (int i = 0; i < s.length; i++) {
                total += t * s[i][classOf[i]] - logSumExp(s[i], t);
            }
            if (total > best) {
                best = total;
                bestT = t;
            }
        }
        for (int v = 0; v < voters; v++) {
            unit[v] *= bestT;
        }
        return unit;
    }

    private static double logSumExp(double[] s, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : s) {
            max = Math.max(max, t * x);
        }
        double sum = 0;
        for (double x : s) {
            sum += Math.exp(t * x - max);
        }
        return max + Math.log(sum);
    }

    /** The interval mass whose intervals hold {@link #INTERVAL_COVERAGE} of the training adapters held out by group. */
    private double intervalMass(double[][][] ll, double[] w, List<Integer> sizes) {
        double[][] s = scores(ll, w);
        Posterior[] post = new Posterior[s.length];
        int[] truth = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            post[i] = Posterior.fromLogScores(sizes, s[i]);
            truth[i] = sizes.get(classOf[i]);
        }
        return Posterior.calibratedMass(post, truth, INTERVAL_COVERAGE);
    }

    private double nearest(int v, int i) {
        double m = Double.POSITIVE_INFINITY;
        for (double d : held[v][i]) {
            m = Math.min(m, d);
        }
        return m;
    }

    /** Median held-out nearest distance per voter (never 0, so it can divide). */
    private double[] typicalDistances() {
        int n = classOf.length;
        double[] tau = new double[held.length];
        for (int v = 0; v < held.length; v++) {
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = nearest(v, i);
            }
            Arrays.sort(d);
            double med = d[n / 2];
            tau[v] = med > 0 && Double.isFinite(med) ? med : 1e-12;
        }
        return tau;
    }

    private double oodThreshold(double[] tau) {
        int n = classOf.length;
        Calibration c = new Calibration(tau, new double[0], 0, Calibration.DEFAULT_INTERVAL_MASS);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            double[] nd = new double[held.length];
            for (int v = 0; v < held.length; v++) {
                nd[v] = nearest(v, i);
            }
            s[i] = c.oodScore(nd);
        }
        return FENCE * Arrays.stream(s).max().orElseThrow();
    }

    /** Held-out accuracy above chance of each voter's 1-NN vote, floored at 0. */
    private double[] voteWeights() {
        int n = classOf.length;
        double[] w = new double[held.length];
        for (int v = 0; v < held.length; v++) {
            int hits = 0;
            for (int i = 0; i < n; i++) {
                hits += argmin(held[v][i]) == classOf[i] ? 1 : 0;
            }
            w[v] = Math.max(0, (double) hits / n - 1.0 / classes);
        }
        return w;
    }

    private static int argmin(double[] d) {
        int best = 0;
        for (int k = 1; k < d.length; k++) {
            if (d[k] < d[best]) {
                best = k;
            }
        }
        return best;
    }

    /**
     * d/τ per class, a class without a finite distance counted as far (2·the largest finite + τ):
     * minus a voter's log-likelihood before its softmax normaliser.
     */
    static void scaledDistances(double[] dist, double tau, double[] out) {
        double maxFinite = 0;
        for (double d : dist) {
            if (Double.isFinite(d)) {
                maxFinite = Math.max(maxFinite, d);
            }
        }
        for (int k = 0; k < dist.length; k++) {
            out[k] = (Double.isFinite(dist[k]) ? dist[k] : 2 * maxFinite + tau) / tau; // -d²/2τ² measured no better
        }
    }

    /** A voter's log-likelihood over the classes from its per-class distances (the soft rules): softmax of −d/τ. */
    static void logLikelihood(double[] dist, double tau, double[] out) {
        scaledDistances(dist, tau, out);
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < dist.length; k++) {
            out[k] = -out[k];
            max = Math.max(max, out[k]);
        }
        double sum = 0;
        for (double o : out) {
            sum += Math.exp(o - max);
        }
        double log = max + Math.log(sum);
        for (int k = 0; k < out.length; k++) {
            out[k] -= log;
        }
    }

    /**
     * Non-negative voter weights maximising the held-out log-likelihood of the true sizes under
     * softmax(Σ_v w_v·ℓ_v), with an L2 penalty; the overall scale of w calibrates the posterior.
     * Projected gradient ascent with a step that grows on success and halves on failure.
     */
    /** ll[v][i][k]: voter v's held-out log-likelihood that adapter i has size class k. */
    private double[][][] logLikelihoods(double[] tau) {
        int n = classOf.length, voters = held.length;
        double[][][] ll = new double[voters][n][classes];
        for (int v = 0; v < voters; v++) {
            for (int i = 0; i < n; i++) {
                logLikelihood(held[v][i], tau[v], ll[v][i]);
            }
        }
        return ll;
    }

    private double[] posteriorWeights(double[][][] ll) {
        int n = classOf.length, voters = held.length;
        double lambda = WEIGHT_PENALTY * n;
        double[] w = new double[voters];
        Arrays.fill(w, 1.0 / voters);
        // start from the best common scale of equal weights
        double bestScale = 1, bestObj = Double.NEGATIVE_INFINITY;
        for (double s = 0.25; s <= 64; s *= 1.5) {
            double[] t = w.clone();
            for (int v = 0; v < voters; v++) {
                t[v] *= s;
            }
            double o = objective(ll, t, lambda, null);
            if (o > bestObj) {
                bestObj = o;
                bestScale = s;
            }
        }
        for (int v = 0; v < voters; v++) {
            w[v] *= bestScale;
        }
        double[] grad = new double[voters];
        double obj = objective(ll, w, lambda, grad), step = 0.1 / Math.max(1e-12, norm(grad));
        for (int it = 0; it < 300 && step > 1e-9; it++) {
            double[] t = new double[voters];
            for (int v = 0; v < voters; v++) {
                t[v] = Math.max(0, w[v] + step * grad[v]);
            }
            double[] g2 = new double[voters];
            double o = objective(ll, t, lambda, g2);
            if (o > obj) {
                w = t;
                obj = o;
                grad = g2;
                step *= 1.5;
            } else {
                step *= 0.5;
            }
        }
        // the penalty shapes the weights; their common scale is refitted without it, which calibrates
        double scale = 1, best = objective(ll, w, 0, null);
        for (double f = 0.25; f <= 8.0001; f *= 1.05) {
            double[] t = w.clone();
            for (int v = 0; v < voters; v++) {
                t[v] *= f;
            }
            double o = objective(ll, t, 0, null);
            if (o > best + 1e-12) {
                best = o;
                scale = f;
            }
        }
        for (int v = 0; v < voters; v++) {
            w[v] *= scale;
        }
        return w;
    }

    private static double norm(double[] g) {
        double s = 0;
        for (double x : g) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    /** Σ_i log p_i(y_i) − λ‖w‖²; fills grad when given. */
    private double objective(double[][][] ll, double[] w, double lambda, double[] grad) {
        int n = classOf.length, voters = w.length;
        double total = 0;
        if (grad != null) {
            Arrays.fill(grad, 0);
        }
        double[] s = new double[classes];
        for (int i = 0; i < n; i++) {
            Arrays.fill(s, 0);
            for (int v = 0; v < voters; v++) {
                if (w[v] == 0) {
                    continue;
                }
                double[] l = ll[v][i];
                for (int k = 0; k < classes; k++) {
                    s[k] += w[v] * l[k];
                }
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double x : s) {
                max = Math.max(max, x);
            }
            double sum = 0;
            for (double x : s) {
                sum += Math.exp(x - max);
            }
            double logZ = max + Math.log(sum);
            total += s[classOf[i]] - logZ;
            if (grad != null) {
                for (int v = 0; v < voters; v++) {
                    double[] l = ll[v][i];
                    double expected = 0;
                    for (int k = 0; k < classes; k++) {
                        expected += Math.exp(s[k] - logZ) * l[k];
                    }
                    grad[v] += l[classOf[i]] - expected;
                }
            }
        }
        double pen = 0;
        for (int v = 0; v < voters; v++) {
            pen += w[v] * w[v];
            if (grad != null) {
                grad[v] -= 2 * lambda * w[v];
            }
        }
        return total - lambda * pen;
    }
}
