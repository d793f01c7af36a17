package dev.dsire.model;

import dev.dsire.lora.Layout;
import dev.dsire.spectra.AdapterSpectra;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A fitted model: per voter of its method, the training adapters' features (standardised when the
 * method's transform says so) as a 1-NN index, the training labels, and what leave-one-group-out
 * taught it ({@link Calibration}). Vote methods let every voter pick a size and combine the votes
 * (majority ties go to the smallest size, as scipy.stats.mode); the posterior combines likelihoods.
 * Untrained and degenerate adapters get no size; far-away ones are flagged out of distribution.
 */
public record DsireModel(Method method, Layout layout, int[] labels, List<String> voters, List<NearestNeighbour> index,
                         List<Standardiser> scalers, Calibration calibration, List<VoterHead> heads, List<CompactIndex> compact,
                         PooledScore pooled, RecipeScore recipe, FixedRecipe fixed) {

    /** A bare 1-NN vote model over an index (no standardisation, unit distance scales, no out-of-distribution flag). */
    public DsireModel(Method method, Layout layout, int[] labels, List<String> voters, List<NearestNeighbour> index) {
        this(method, layout, labels, voters, index, List.of(), unitCalibration(index.size()), List.of(), List.of(), null, null, FixedRecipe.NONE);
    }

    private static Calibration unitCalibration(int voters) {
        double[] ones = new double[voters];
        java.util.Arrays.fill(ones, 1);
        return new Calibration(ones, new double[0], Double.POSITIVE_INFINITY, Calibration.DEFAULT_INTERVAL_MASS);
    }

    /** A model from its stored parts; ridge and GDA heads are refitted from the references. */
    public static DsireModel of(Method method, Layout layout, int[] labels, List<String> voters, List<NearestNeighbour> index,
                                List<Standardiser> scalers, Calibration calibration) {
        return of(method, layout, labels, voters, index, scalers, calibration, null, null, FixedRecipe.NONE);
    }

    /**
     * A model from its stored parts, with the pooled method's fitted score (null for the other methods),
     * its recipe-conditioned score (null unless pooled-recipe found a recipe that varies in training) and the
     * recipe fields every training adapter stated with one value (pooled-recipe's; empty for the others).
     */
    public static DsireModel of(Method method, Layout layout, int[] labels, List<String> voters, List<NearestNeighbour> index,
                                List<Standardiser> scalers, Calibration calibration, PooledScore pooled, RecipeScore recipe,
                                FixedRecipe fixed) {
        if (method.rule().pooled() != (pooled != null)) {
            throw new IllegalArgumentException(pooled == null ? "method " + method.key() + " needs its pooled score"
                    : "method " + method.key() + " has no pooled score");
        }
        if ((recipe != null || !fixed.isEmpty()) && method.rule() != VoterRule.POOLED_RIDGE_RECIPE) {
            throw new IllegalArgumentException("method " + method.key() + " reads no recipe");
        }
        List<Integer> sizes = sizesOf(labels);
        int[] classOf = classes(labels, sizes);
        List<VoterHead> heads = new ArrayList<>();
        if (method.rule() == VoterRule.RIDGE || method.rule() == VoterRule.GDA) {
            for (NearestNeighbour nn : index) {
                heads.add(VoterHead.fit(method.rule(), nn, classOf, sizes));
            }
        }
        // the posterior searches float32 copies of the references (see CompactIndex); the stored model keeps doubles
        List<CompactIndex> compact = method.combiner().probabilistic() && method.searchesReferences()
                ? index.stream().map(nn -> CompactIndex.of(nn, classOf, sizes.size())).toList() : List.of();
        return new DsireModel(method, layout, labels, voters, index, scalers, calibration, heads, compact, pooled, recipe, fixed);
    }

    /** Fits on adapters that all share one layout, in the given order (which breaks distance ties). */
    public static DsireModel fit(Method method, List<Labelled> training) {
        if (training.isEmpty()) {
            throw new IllegalArgumentException("nothing to fit on");
        }
        Layout layout = training.getFirst().spectra().layout();
        for (Labelled t : training) {
            if (!t.spectra().layout().equals(layout)) {
                throw new LayoutMismatchException(t.path(), layout, t.spectra().layout());
            }
        }
        List<String> voters = method.voters(layout);
        int n = training.size();
        List<double[]> flat = new ArrayList<>();
        int[] dims = new int[voters.size()];
        for (int i = 0; i < n; i++) {
            List<double[]> f = method.features(training.get(i).spectra());
            for (int v = 0; v < f.size(); v++) {
                if (i == 0) {
                    dims[v] = f.get(v).length;
                    flat.add(new double[n * dims[v]]);
                }
                System.arraycopy(f.get(v), 0, flat.get(v), i * dims[v], dims[v]);
            }
        }
        List<Standardiser> scalers = new ArrayList<>();
        if (method.transform().standardised()) {
            for (int v = 0; v < voters.size(); v++) {
                Standardiser z = method.voterSet().standardises(v, method.transform()) ? Standardiser.fit(flat.get(v), dims[v])
                        : Standardiser.identity(dims[v]);
                scalers.add(z);
                double[] f = flat.get(v);
                for (int i = 0; i < n; i++) {
                    double[] x = z.apply(java.util.Arrays.copyOfRange(f, i * dims[v], (i + 1) * dims[v]));
                    System.arraycopy(x, 0, f, i * dims[v], dims[v]);
                }
            }
        }
        List<NearestNeighbour> index = new ArrayList<>(voters.size());
        for (int v = 0; v < voters.size(); v++) {
            index.add(new NearestNeighbour(dims[v], flat.get(v)));
        }
        int[] labels = training.stream().mapToInt(Labelled::size).toArray();
        List<Integer> sizes = sizesOf(labels);
        Map<String, Integer> groupIds = new HashMap<>();
        int[] group = training.stream().mapToInt(t -> groupIds.computeIfAbsent(t.group(), g -> groupIds.size())).toArray();
        if (method.rule().pooled()) {
            if (!method.voterSet().concatenated()) {
                throw new IllegalArgumentException("the pooled ridge needs one concatenated voter");
            }
            PooledScore pooled = PooledScore.fit(flat.getFirst(), n, dims[0], labels, group);
            boolean reads = method.rule() == VoterRule.POOLED_RIDGE_RECIPE;
            List<dev.dsire.lora.Recipe> recipes = training.stream().map(t -> t.spectra().recipe()).toList();
            RecipeScore recipe = reads ? RecipeScore.fit(flat.getFirst(), n, dims[0], recipes, labels, group) : null;
            FixedRecipe fixed = reads ? FixedRecipe.of(recipes) : FixedRecipe.NONE;
            Calibration c = new Calibration(new double[] {1}, new double[0], Double.POSITIVE_INFINITY, pooled.intervalMass());
            return of(method, layout, labels, voters, index, scalers, c, pooled, recipe, fixed);
        }
        Calibration calibration = LeaveOneGroupOut.fit(method.combiner(), method.rule().neighbours(), index, classes(labels, sizes), sizes, group);
        return of(method, layout, labels, voters, index, scalers, calibration);
    }

    private static List<Integer> sizesOf(int[] labels) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int l : labels) {
            s.add(l);
        }
        return List.copyOf(s);
    }

    private static int[] classes(int[] labels, List<Integer> sizes) {
        int[] c = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            c[i] = sizes.indexOf(labels[i]);
        }
        return c;
    }

    /** The sizes seen in training, ascending. */
    public List<Integer> sizes() {
        return sizesOf(labels);
    }

    public Prediction predict(Path file, AdapterSpectra spectra) {
        List<double[]> f = features(file, spectra);
        Optional<Prediction> none = Degeneracy.check(spectra);
        if (none.isPresent()) {
            return none.get();
        }
        if (method.nearestVote()) {
            return answer(spectra, f, NeighbourSearch.CPU.nearest(this, List.of(f))[0]);
        }
        if (pooled != null) {
            // a stated learning rate or step count that every training adapter had otherwise: out of distribution
            String unlike = fixed.unlike(spectra.recipe());
            if (recipe == null) { // pooled, or pooled-recipe fitted where no recipe varies (fit said so)
                return pooled.predict(f.getFirst(), unlike);
            }
            return recipe.covers(spectra.recipe()) ? recipe.predict(f.getFirst(), spectra.recipe(), unlike)
                    : pooled.predict(f.getFirst(), unlike).withNote("the file states no " + String.join(" and ", recipe.fields()).replace('_', ' ')
                      + ": answered from the weights alone");
        }
        return method.combiner().probabilistic() ? posterior(f) : flagged(tally(votesOf(f)), f);
    }

    /**
     * The voters' feature vectors of an adapter, as the index holds them (standardised when the
     * method says so), after checking that it has this model's layout.
     */
    public List<double[]> features(Path file, AdapterSpectra spectra) {
        if (!spectra.layout().equals(layout)) { // equal layouts have equal fingerprints; comparing needs no hashing
            throw new LayoutMismatchException(file, layout, spectra.layout());
        }
        List<double[]> f = method.features(spectra);
        if (scalers.isEmpty()) {
            return f;
        }
        List<double[]> out = new ArrayList<>(f.size());
        for (int v = 0; v < f.size(); v++) {
            out.add(scalers.get(v).apply(f.get(v)));
        }
        return out;
    }

    /**
     * The answer for an adapter whose voters' nearest training adapters are known (from a batched
     * search): no size for degenerate adapters, the vote, and the out-of-distribution flag.
     */
    public Prediction answer(AdapterSpectra spectra, List<double[]> features, int[] nearest) {
        Optional<Prediction> none = Degeneracy.check(spectra);
        if (none.isPresent()) {
            return none.get();
        }
        int[] resolved = nearest.clone();
        double[] d = new double[nearest.length];
        for (int v = 0; v < nearest.length; v++) {
            if (resolved[v] < 0) { // a batched search found no finite distance: the CPU's overflow-safe search decides
                resolved[v] = index.get(v).nearest(features.get(v));
            }
            d[v] = resolved[v] < 0 ? Double.POSITIVE_INFINITY
                    : Math.sqrt(index.get(v).squaredDistance(resolved[v], features.get(v)));
        }
        return flag(vote(resolved), d);
    }

    /**
     * The prediction from each voter's nearest training adapter (vote methods). A voter without
     * one (-1: its features hold a NaN) abstains; with no voter left there is no answer.
     */
    public Prediction vote(int[] nearest) {
        int[] sizeVotes = java.util.Arrays.stream(nearest).filter(n -> n >= 0).map(n -> labels[n]).toArray();
        if (sizeVotes.length == 0) {
            throw new IllegalArgumentException("no voter can compare this adapter with the training adapters (non-finite features)");
        }
        return tally(sizeVotes);
    }

    private int[] votesOf(List<double[]> f) {
        List<Integer> sizes = sizes();
        int[] out = new int[f.size()];
        for (int v = 0; v < f.size(); v++) {
            out[v] = switch (method.rule()) {
                case NEAREST -> labels[index.get(v).nearest(f.get(v))];
                case RIDGE, GDA -> sizes.get(heads.get(v).vote(f.get(v)));
                case SOFT_NEAREST, SOFT_3NN, POOLED_RIDGE, POOLED_RIDGE_RECIPE -> throw new IllegalStateException("soft k-NN voters give likelihoods, not votes");
            };
        }
        return out;
    }

    private Prediction tally(int[] sizeVotes) {
        SortedMap<Integer, Integer> votes = new TreeMap<>();
        for (int s : sizeVotes) {
            votes.merge(s, 1, Integer::sum);
        }
        int winner = switch (method.combiner()) {
            case MEAN_VOTE -> nearestSize(java.util.Arrays.stream(sizeVotes).average().orElseThrow());
            case WEIGHTED_VOTE -> weighted(sizeVotes);
            default -> majority(votes);
        };
        return new Prediction(winner, votes);
    }

    private int weighted(int[] sizeVotes) {
        SortedMap<Integer, Double> score = new TreeMap<>();
        for (int v = 0; v < sizeVotes.length; v++) {
            score.merge(sizeVotes[v], calibration.weights()[v], Double::sum);
        }
        int best = score.firstKey();
        for (var e : score.entrySet()) {
            if (e.getValue() > score.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }

    private static int majority(SortedMap<Integer, Integer> votes) {
        int best = votes.firstKey();
        for (var e : votes.entrySet()) {
            if (e.getValue() > votes.get(best)) {
                best = e.getKey(); // strictly more: on a tie the smaller size, seen first, stays
            }
        }
        return best;
    }

    private int nearestSize(double mean) {
        int best = labels[0];
        for (int s : sizes()) {
            if (Math.abs(s - mean) < Math.abs(best - mean) || (Math.abs(s - mean) == Math.abs(best - mean) && s < best)) {
                best = s;
            }
        }
        return best;
    }

    private Prediction flagged(Prediction p, List<double[]> f) {
        double[] d = new double[f.size()];
        for (int v = 0; v < f.size(); v++) {
            NearestNeighbour nn = index.get(v);
            d[v] = Math.sqrt(nn.squaredDistance(nn.nearest(f.get(v)), f.get(v)));
        }
        return flag(p, d);
    }

    private Prediction flag(Prediction p, double[] nearestDistance) {
        double score = calibration.oodScore(nearestDistance);
        if (score > calibration.oodThreshold()) {
            return p.outOfDistribution(String.format(java.util.Locale.ROOT,
                    "%.1f× the typical distance to the nearest training adapter (training adapters held out by group: at most %.1f×)",
                    score, calibration.oodThreshold()));
        }
        return p;
    }

    /**
     * Soft k-NN likelihoods of every voter, weighted and summed: the posterior over the training
     * sizes. The continuous estimate comes from the same distances: each voter places the adapter
     * between its nearest size and that size's nearer neighbouring size, in proportion to the two
     * distances, on a log scale of images; the estimate is the geometric mean over voters. It needs
     * no held-out size to tune, so it works with two trained sizes as well as with six (measured
     * against softened posterior means with fitted or fixed temperatures, and against placing on a
     * linear scale: the log scale had the best worst case over ten sets of unseen sizes, 0.60×
     * DSiRe's error against 0.72×).
     */
    private Prediction posterior(List<double[]> f) {
        List<Integer> sizes = sizes();
        int k = sizes.size();
        int[] classOf = classes(labels, sizes);
        double[] score = new double[k], ll = new double[k], nearest = new double[f.size()];
        int neighbours = method.rule().neighbours();
        double placed = 0;
        int placing = 0;
        for (int v = 0; v < f.size(); v++) {
            double[] d = compact.get(v).meanNearestPerClass(f.get(v), neighbours);
            double m = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                m = Math.min(m, d[c]);
            }
            nearest[v] = m;
            double w = calibration.weights()[v];
            if (w == 0) {
                continue;
            }
            // the voter's log-likelihood up to its normaliser, which is the same for every size and cancels
            LeaveOneGroupOut.scaledDistances(d, calibration.tau()[v], ll);
            for (int c = 0; c < k; c++) {
                score[c] -= w * ll[c];
            }
            double at = placement(d, sizes);
            if (Double.isFinite(at)) {
                placed += at;
                placing++;
            }
        }
        Posterior posterior = Posterior.fromLogScores(sizes, score, calibration.intervalMass());
        return flag(Prediction.of(posterior, placing > 0 ? Math.exp(placed / placing) : posterior.estimate()), nearest);
    }

    /**
     * Where one voter places an adapter from its per-size distances d, as a log size: between the
     * nearest size c and the nearer of c's neighbouring sizes c', at d_c / (d_c + d_c') of the way
     * from log n_c to log n_c'. NaN when no size has a finite distance (or a size is not positive).
     */
    static double placement(double[] d, List<Integer> sizes) {
        int c = -1;
        for (int k = 0; k < d.length; k++) {
            if (Double.isFinite(d[k]) && (c < 0 || d[k] < d[c])) {
                c = k;
            }
        }
        if (c < 0 || sizes.getFirst() <= 0) {
            return Double.NaN;
        }
        int lo = c - 1, hi = c + 1;
        double dl = lo >= 0 ? d[lo] : Double.POSITIVE_INFINITY, dh = hi < d.length ? d[hi] : Double.POSITIVE_INFINITY;
        int other = dl <= dh ? lo : hi;
        double dOther = Math.min(dl, dh);
        double here = Math.log(sizes.get(c));
        if (!Double.isFinite(dOther) || d[c] == 0) {
            return here;
        }
        double t = d[c] / (d[c] + dOther);
        return here + t * (Math.log(sizes.get(other)) - here);
    }
}
