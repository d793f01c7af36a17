package dev.dsire.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The pooled method's fitted state. One ridge regression of log n (or of the size's rank, whichever
 * errs less held out: {@link ScoreTarget}) on every layer's standardised log spectra at once (all layers and kinds concatenated) gives each adapter a score; what the score means
 * is learnt leave-one-group-out: for every training size the mean held-out score of its adapters, and
 * one pooled variance. A query's posterior over sizes is Gaussian in that score (linear discriminant
 * analysis in one dimension), the answer its most probable size.
 *
 * <p>Why this shape: per-layer 1-NN votes (DSiRe) compare raw spectra, whose scale moves with the
 * learning rate and step count as much as with n; a regression over every layer pools the weak,
 * consistent trend of each singular value and held up on zoos whose groups used different recipes.
 * Regression alone shrinks towards the middle sizes and loses the extremes (the 1-image adapter an
 * auditor cares about most); reading the held-out score per size instead of snapping it to a size
 * undoes that shrinkage, so the smallest and largest sizes keep their recall.
 *
 * <p>{@code low} and {@code high} bound the scores seen for the smallest and largest sizes: a score
 * beyond them is answered as below or above the trained range. {@code shift} flags adapters unlike
 * the training ones.
 *
 * @param weights      ridge weights over the standardised features
 * @param intercept    the training mean of the target
 * @param lambda       the ridge penalty chosen leave-one-group-out
 * @param target       what the ridge regresses on (log n or the size's rank), chosen leave-one-group-out with the penalty
 * @param sizes        the training sizes, ascending
 * @param means        the mean held-out score of each size's adapters
 * @param variance     pooled variance of held-out scores around their size's mean
 * @param intervalMass probability mass of the interval, calibrated leave-one-group-out
 * @param low          scores below this look trained on fewer images than the smallest size (−∞: never)
 * @param high         scores above this look trained on more images than the largest size
 * @param shift        the out-of-distribution detector
 */
public record PooledScore(double[] weights, double intercept, double lambda, ScoreTarget target, int[] sizes, double[] means, double variance,
                          double intervalMass, double low, double high, ShiftDetector shift) {

    /** The penalties tried, as multiples of the feature count / 100 (standardised features: a penalty per unit of variance). */
    private static final double[] PENALTIES = {1, 3, 10, 30, 100, 300, 1000, 3000};
    /**
     * How far past the extreme sizes' mean score (in pooled standard deviations) a score must lie to leave the range.
     * One deviation: the regression saturates past the trained sizes (adapters of 10–50 images scored 0.6–1.4
     * deviations above a 1–6 model's size 6), and an above-range answer still gives the bound, so a size-6
     * adapter answered "≥ 6" is not wrong.
     */
    static final double RANGE_MARGIN = 1.0;

    /**
     * Fits on n standardised feature vectors of dimension p (row-major; each column has mean 0 over the
     * training adapters) with their sizes and groups.
     */
    public static PooledScore fit(double[] z, int n, int p, int[] labels, int[] group) {
        return fitScored(z, n, p, labels, group).score();
    }

    /** A fitted score with its mean absolute held-out error (what the penalty was chosen by). */
    record Fitted(PooledScore score, double heldOutError) {
    }

    /** As {@link #fit}, with the held-out error of the chosen penalty. */
    static Fitted fitScored(double[] z, int n, int p, int[] labels, int[] group) {
        return fitScored(z, n, p, labels, group, ScoreTarget.values());
    }

    /** As {@link #fitScored(double[], int, int, int[], int[])}, choosing among these targets only. */
    static Fitted fitScored(double[] z, int n, int p, int[] labels, int[] group, ScoreTarget... targets) {
        int[] sizes = Arrays.stream(labels).sorted().distinct().toArray();
        int[] classOf = new int[n];
        for (int i = 0; i < n; i++) {
            classOf[i] = Arrays.binarySearch(sizes, labels[i]);
        }
        Gram gram = Gram.of(z, n, p);
        int[][] groups = groups(group);

        // the target and penalty whose held-out answers err least (ties: log n before rank, the larger penalty,
        // the smoother model); the Gram matrix's decomposition serves every candidate
        double bestErr = Double.POSITIVE_INFINITY, bestLambda = Double.NaN, yMean = 0;
        double[] bestHeld = null, yc = null;
        ScoreTarget bestTarget = ScoreTarget.LOG_SIZE;
        for (ScoreTarget target : targets) {
            double[] c = new double[n];
            double m = 0;
            for (int i = 0; i < n; i++) {
                c[i] = target.value(labels[i], classOf[i]);
                m += c[i] / n;
            }
            for (int i = 0; i < n; i++) {
                c[i] -= m;
            }
            for (int t = PENALTIES.length - 1; t >= 0; t--) {
                double lambda = PENALTIES[t] * p / 100.0;
                // with fewer than 3 groups nothing can be held out and leave a model: the in-sample scores stand in
                double[] held = groups.length >= 3 ? gram.heldOut(c, lambda, groups) : gram.fitted(c, lambda);
                double err = heldOutError(held, classOf, sizes);
                if (err < bestErr - 1e-12) {
                    bestErr = err;
                    bestLambda = lambda;
                    bestHeld = held;
                    bestTarget = target;
                    yc = c;
                    yMean = m;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            bestHeld[i] += yMean; // held-out predictions of the target, on the scale of score()
        }
        double[] means = classMeans(bestHeld, classOf, sizes.length);
        double variance = pooledVariance(bestHeld, classOf, means, sizes.length);
        double[] weights = gram.weights(z, p, yc, bestLambda);
        double sd = Math.sqrt(variance);
        // the bounds sit a margin past the extreme sizes' mean score, held out or in sample (in-sample scores run
        // further out than held-out ones); with fewer than 3 groups there is nothing to bound by
        double[] fitted = gram.fitted(yc, bestLambda);
        for (int i = 0; i < n; i++) {
            fitted[i] += yMean;
        }
        int top = sizes.length - 1;
        boolean bounded = groups.length >= 3;
        double[] fittedMeans = classMeans(fitted, classOf, sizes.length);
        double low = sizes[0] <= 1 || !bounded ? Double.NEGATIVE_INFINITY : Math.min(means[0], fittedMeans[0]) - RANGE_MARGIN * sd;
        double high = !bounded ? Double.POSITIVE_INFINITY : Math.max(means[top], fittedMeans[top]) + RANGE_MARGIN * sd;
        // with fewer than 3 groups the scores are in sample: one group of every row, read with the in-sample means
        int[][] calibrated = groups.length >= 3 ? groups : new int[][] {java.util.stream.IntStream.range(0, n).toArray()};
        double mass = intervalMass(bestHeld, classOf, sizes, calibrated, means, variance);
        ShiftDetector shift = ShiftDetector.fit(z, n, p, gram, groups);
        return new Fitted(new PooledScore(weights, yMean, bestLambda, bestTarget, sizes, means, variance, mass, low, high, shift), bestErr);
    }

    /**
     * How far, in flagging distances, an adapter whose stated recipe no training adapter had counts for its
     * posterior's spread (4× the score's deviation): its spectra may look familiar, but what the other
     * learning rate or step count did to them is unknown.
     */
    static final double RECIPE_SHIFT = 2;

    /** The score of one standardised feature vector (the target's scale, before the held-out reading). */
    public double score(double[] z) {
        double s = intercept;
        for (int j = 0; j < z.length; j++) {
            s += weights[j] * z[j];
        }
        return s;
    }

    /** The answer for one standardised feature vector. */
    public Prediction predict(double[] z) {
        return predict(z, null);
    }

    /**
     * The answer for one standardised feature vector whose file states a recipe unlike the training
     * adapters' ({@link FixedRecipe#unlike}; null: none): out of distribution, its posterior flattened as
     * for spectra at least {@value #RECIPE_SHIFT} times the flagging distance away.
     */
    public Prediction predict(double[] z, String recipeUnlike) {
        double raw = score(z);
        if (Double.isNaN(raw)) { // only overflowing features or a damaged model's weights get here
            return Prediction.none(Status.ERROR, "the model's score for this adapter is not a number (its features or the model's weights overflow)");
        }
        // past a million pooled deviations from every size's mean no decision changes (the range bounds are
        // compared first), but the likelihoods and the estimate would overflow: the score is held there
        double far = 1e6 * Math.sqrt(variance);
        double s = Math.max(Arrays.stream(means).min().orElse(0) - far, Math.min(Arrays.stream(means).max().orElse(0) + far, raw));
        List<Integer> sizeList = sizeList();
        double shiftScore = shift.score(z);
        boolean spectraUnlike = shiftScore > shift.threshold(), unlike = spectraUnlike || recipeUnlike != null;
        // an adapter unlike the training ones gets a flatter posterior: the score's spread grows with the square of
        // its distance past the threshold (linear growth left shifted recipes' intervals holding the truth under half the time)
        double ratio = spectraUnlike ? Math.max(1, shiftScore / shift.threshold()) : 1;
        if (recipeUnlike != null) {
            ratio = Math.max(ratio, RECIPE_SHIFT);
        }
        double spread = ratio * ratio;
        Posterior posterior = Posterior.fromLogScores(sizeList, logLikelihoods(s, means, variance * spread * spread), intervalMass);
        int answer = sizeList.get(mostProbable(posterior.p()));
        double estimate = estimate(s);
        if (raw > high) {
            int top = sizes[sizes.length - 1];
            return new Prediction(Status.ABOVE_RANGE, top, estimate, new java.util.TreeMap<>(), posterior,
                    String.format(Locale.ROOT, "looks trained on more images than the largest training size (%d): estimate ≈ %.0f", top, estimate));
        }
        if (raw < low) {
            int bottom = sizes[0];
            return new Prediction(Status.BELOW_RANGE, bottom, estimate, new java.util.TreeMap<>(), posterior,
                    String.format(Locale.ROOT, "looks trained on fewer images than the smallest training size (%d): estimate ≈ %.1f", bottom, estimate));
        }
        Prediction p = new Prediction(Status.OK, answer, estimate, new java.util.TreeMap<>(), posterior, null);
        if (unlike) {
            String spectra = String.format(Locale.ROOT,
                    "%.1f× the distance from the training adapters' spectra that flags at most 1 in 10 training groups held out", shiftScore / shift.threshold());
            return p.outOfDistribution(recipeUnlike == null ? spectra : spectraUnlike ? recipeUnlike + "; " + spectra : recipeUnlike);
        }
        return p;
    }

    /**
     * A continuous size: the score placed on the piecewise-linear map from each size's mean held-out
     * score to its log size, extended past the ends with the nearest segment's slope.
     */
    public double estimate(double s) {
        int k = sizes.length;
        if (k == 1) {
            return sizes[0];
        }
        // the class means of a good score rise with size; where two do not, fall back to the neighbours' order
        int seg = 0;
        while (seg < k - 2 && s > means[seg + 1]) {
            seg++;
        }
        double x0 = means[seg], x1 = means[seg + 1], y0 = Math.log(sizes[seg]), y1 = Math.log(sizes[seg + 1]);
        if (!(x1 > x0)) {
            return Math.exp(s <= x0 ? y0 : y1);
        }
        double t = (s - x0) / (x1 - x0);
        // an extrapolation past 1000× the trained range says nothing more (and would overflow): held there
        double cap = Math.log(1000);
        return Math.exp(Math.max(Math.log(sizes[0]) - cap, Math.min(Math.log(sizes[k - 1]) + cap, y0 + t * (y1 - y0))));
    }

    public List<Integer> sizeList() {
        return Arrays.stream(sizes).boxed().toList();
    }

    static double[] logLikelihoods(double s, double[] means, double variance) {
        double[] ll = new double[means.length];
        for (int c = 0; c < means.length; c++) {
            double d = s - means[c];
            ll[c] = -d * d / (2 * variance);
        }
        return ll;
    }

    /** The index of the largest probability; ties go to the smaller size. */
    static int mostProbable(double[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    private static double heldOutError(double[] held, int[] classOf, int[] sizes) {
        double[] means = classMeans(held, classOf, sizes.length);
        double variance = pooledVariance(held, classOf, means, sizes.length);
        double err = 0;
        for (int i = 0; i < held.length; i++) {
            int c = mostProbable(logLikelihoods(held[i], means, variance));
            err += Math.abs(sizes[c] - sizes[classOf[i]]);
        }
        return err / held.length;
    }

    private static double[] classMeans(double[] held, int[] classOf, int k) {
        double[] sum = new double[k];
        int[] count = new int[k];
        for (int i = 0; i < held.length; i++) {
            sum[classOf[i]] += held[i];
            count[classOf[i]]++;
        }
        for (int c = 0; c < k; c++) {
            sum[c] /= count[c];
        }
        return sum;
    }

    private static double pooledVariance(double[] held, int[] classOf, double[] means, int k) {
        double ss = 0;
        for (int i = 0; i < held.length; i++) {
            double d = held[i] - means[classOf[i]];
            ss += d * d;
        }
        int dof = Math.max(1, held.length - k);
        return Math.max(ss / dof, 1e-12);
    }

    /**
     * The interval mass whose intervals hold the same share of held-out training adapters as the posterior
     * methods', each group's posteriors read with the size means and variance of the other groups' held-out
     * scores, as a new group's will be. Read with means that included the group's own scores, they were too
     * sure of it: on the bundled zoos the intervals held 0.75–0.86 of new groups' adapters, not 0.85. A group
     * without which some size has no scores (one group of every row, too) is read with the means and variance
     * of all of them.
     */
    private static double intervalMass(double[] held, int[] classOf, int[] sizes, int[][] groups, double[] allMeans, double allVariance) {
        List<Integer> sizeList = Arrays.stream(sizes).boxed().toList();
        Posterior[] post = new Posterior[held.length];
        int[] truth = new int[held.length];
        boolean[] out = new boolean[held.length];
        for (int[] g : groups) {
            for (int i : g) {
                out[i] = true;
            }
            double[] rest = new double[held.length - g.length];
            int[] restClass = new int[rest.length];
            int[] count = new int[sizes.length];
            for (int i = 0, r = 0; i < held.length; i++) {
                if (!out[i]) {
                    rest[r] = held[i];
                    restClass[r++] = classOf[i];
                    count[classOf[i]]++;
                }
            }
            boolean complete = Arrays.stream(count).allMatch(c -> c > 0);
            double[] means = complete ? classMeans(rest, restClass, sizes.length) : allMeans;
            double variance = complete ? pooledVariance(rest, restClass, means, sizes.length) : allVariance;
            for (int i : g) {
                post[i] = Posterior.fromLogScores(sizeList, logLikelihoods(held[i], means, variance));
                truth[i] = sizes[classOf[i]];
                out[i] = false;
            }
        }
        return Posterior.calibratedMass(post, truth, LeaveOneGroupOut.INTERVAL_COVERAGE);
    }

    /** Row indices of each group, in order of first appearance. */
    static int[][] groups(int[] group) {
        int k = Arrays.stream(group).max().orElse(-1) + 1;
        List<List<Integer>> rows = new ArrayList<>();
        for (int g = 0; g < k; g++) {
            rows.add(new ArrayList<>());
        }
        for (int i = 0; i < group.length; i++) {
            rows.get(group[i]).add(i);
        }
        return rows.stream().filter(r -> !r.isEmpty()).map(r -> r.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    }

    /**
     * The training adapters' Gram matrix K = Z·Zᵀ and its eigendecomposition K = U·D·Uᵀ. With it, ridge
     * regression for any penalty, and its exact leave-one-group-out predictions, cost O(n²) each: the
     * hat matrix is 11ᵀ/n + U·diag(d/(d+λ))·Uᵀ (the columns of Z are centred, so the intercept separates),
     * and a held-out group's residuals are (I − H_gg)⁻¹ times its in-sample residuals.
     */
    record Gram(int n, double[] k, double[] u, double[] d) {
        static Gram of(double[] z, int n, int p) {
            double[] gram = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double s = 0;
                    int a = i * p, b = j * p;
                    for (int c = 0; c < p; c++) {
                        s += z[a + c] * z[b + c];
                    }
                    gram[i * n + j] = s;
                    gram[j * n + i] = s;
                }
            }
            // the decomposition works in place: it gets a copy, the shift detector keeps using the matrix
            DMatrixRMaj k = new DMatrixRMaj(n, n, true, gram.clone());
            EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
            if (!eig.decompose(k)) {
                throw new IllegalStateException("the training adapters' Gram matrix has no eigendecomposition");
            }
            double[] u = new double[n * n], d = new double[n];
            for (int e = 0; e < n; e++) {
                d[e] = Math.max(0, eig.getEigenvalue(e).real);
                DMatrixRMaj v = eig.getEigenVector(e);
                for (int i = 0; i < n; i++) {
                    u[i * n + e] = v.get(i, 0);
                }
            }
            return new Gram(n, gram, u, d);
        }

        /** U·diag(f)·Uᵀ·x. */
        double[] apply(double[] f, double[] x) {
            double[] t = new double[n];
            for (int e = 0; e < n; e++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += u[i * n + e] * x[i];
                }
                t[e] = s * f[e];
            }
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int e = 0; e < n; e++) {
                    s += u[i * n + e] * t[e];
                }
                out[i] = s;
            }
            return out;
        }

        /** In-sample predictions of the centred target yc. */
        double[] fitted(double[] yc, double lambda) {
            double[] shrink = new double[n];
            for (int e = 0; e < n; e++) {
                shrink[e] = d[e] / (d[e] + lambda);
            }
            return apply(shrink, yc);
        }

        /** Leave-one-group-out predictions of the centred target yc (as centred log sizes). */
        double[] heldOut(double[] yc, double lambda, int[][] groups) {
            double[] shrink = new double[n];
            for (int e = 0; e < n; e++) {
                shrink[e] = d[e] / (d[e] + lambda);
            }
            double[] fitted = apply(shrink, yc);
            double[] held = new double[n];
            for (int[] g : groups) {
                int m = g.length;
                DMatrixRMaj a = new DMatrixRMaj(m, m);
                DMatrixRMaj r = new DMatrixRMaj(m, 1);
                for (int x = 0; x < m; x++) {
                    for (int w = 0; w < m; w++) {
                        double h = 1.0 / n;
                        for (int e = 0; e < n; e++) {
                            h += u[g[x] * n + e] * shrink[e] * u[g[w] * n + e];
                        }
                        a.unsafe_set(x, w, (x == w ? 1 : 0) - h);
                    }
                    r.unsafe_set(x, 0, yc[g[x]] - fitted[g[x]]);
                }
                DMatrixRMaj sol = new DMatrixRMaj(m, 1);
                if (!org.ejml.dense.row.CommonOps_DDRM.solve(a, r, sol)) {
                    throw new IllegalStateException("a held-out group's leverage is singular");
                }
                for (int x = 0; x < m; x++) {
                    held[g[x]] = yc[g[x]] - sol.get(x, 0);
                }
            }
            return held;
        }

        /** Ridge weights w = Zᵀ·α with α = U·diag(1/(d+λ))·Uᵀ·yc. */
        double[] weights(double[] z, int p, double[] yc, double lambda) {
            double[] inv = new double[n];
            for (int e = 0; e < n; e++) {
                inv[e] = 1 / (d[e] + lambda);
            }
            double[] alpha = apply(inv, yc);
            double[] w = new double[p];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < p; c++) {
                    w[c] += z[i * p + c] * alpha[i];
                }
            }
            return w;
        }
    }
}
