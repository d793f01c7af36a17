package dev.dsire.model;

import dev.dsire.lora.Layout;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.MatrixKind;
import java.util.List;

/**
 * A method is a composition: feature transform × voters × voter rule × combiner. The named methods
 * below are the paper's (DSiRe, its baseline, ablations and Table 5's other predictors) and dsire's
 * own calibrated ones; a new method is one more line here.
 */
public record Method(String key, FeatureTransform transform, VoterSet voterSet, VoterRule rule, Combiner combiner) {
    private static final VoterSet ALL = VoterSet.ALL_KINDS;

    /** The paper's method: every (layer, kind ∈ {A, B, BA}) votes on its singular values by 1-NN; majority wins. */
    public static final Method DSIRE = new Method("dsire", FeatureTransform.SPECTRUM, ALL, VoterRule.NEAREST, Combiner.VOTE);
    /** Baseline: the same voters, each on its matrix's Frobenius norm alone. */
    public static final Method FROBENIUS = new Method("frobenius", FeatureTransform.NORM, ALL, VoterRule.NEAREST, Combiner.VOTE);
    /** Ablation: only A's spectra vote. */
    public static final Method A_ONLY = new Method("a-only", FeatureTransform.SPECTRUM, new VoterSet(List.of(MatrixKind.A), false), VoterRule.NEAREST, Combiner.VOTE);
    /** Ablation: only B's spectra vote. */
    public static final Method B_ONLY = new Method("b-only", FeatureTransform.SPECTRUM, new VoterSet(List.of(MatrixKind.B), false), VoterRule.NEAREST, Combiner.VOTE);
    /** Ablation: only the spectra of B·A vote. */
    public static final Method BA_ONLY = new Method("ba-only", FeatureTransform.SPECTRUM, new VoterSet(List.of(MatrixKind.BA), false), VoterRule.NEAREST, Combiner.VOTE);
    /** Ablation: one 1-NN on all spectra of all layers concatenated. */
    public static final Method NN_FULL = new Method("nn-full", FeatureTransform.SPECTRUM, new VoterSet(ALL.kinds(), true), VoterRule.NEAREST, Combiner.VOTE);
    /** Ablation: DSiRe's voters, combined by the mean of their votes (snapped to the nearest known size). */
    public static final Method AVG_VOTE = new Method("avg-vote", FeatureTransform.SPECTRUM, ALL, VoterRule.NEAREST, Combiner.MEAN_VOTE);
    /** Table 5: ridge regression per voter, majority vote. */
    public static final Method RIDGE = new Method("ridge", FeatureTransform.SPECTRUM, ALL, VoterRule.RIDGE, Combiner.VOTE);
    /** Table 5: Gaussian discriminant analysis per voter, majority vote. */
    public static final Method GDA = new Method("gda", FeatureTransform.SPECTRUM, ALL, VoterRule.GDA, Combiner.VOTE);
    /** DSiRe's voters on standardised log spectra, votes weighted by leave-one-group-out accuracy. */
    public static final Method WEIGHTED_VOTE = new Method("weighted-vote", FeatureTransform.LOG_STANDARDISED, ALL, VoterRule.NEAREST, Combiner.WEIGHTED_VOTE);
    /**
     * Calibrated (dsire's own): every (layer, kind) votes twice, on standardised log σ and on σ, each a
     * likelihood over sizes from its mean distance to each size's 3 nearest training adapters; the
     * likelihoods are summed with one fitted temperature; the answer is the posterior median.
     */
    public static final Method POSTERIOR = new Method("posterior", FeatureTransform.LOG_STD_AND_SPECTRUM, ALL, VoterRule.SOFT_3NN, Combiner.POSTERIOR);
    /** Variant: the posterior on standardised log spectra only (half the voters). */
    public static final Method POSTERIOR_LOG = new Method("posterior-log", FeatureTransform.LOG_STANDARDISED, ALL, VoterRule.SOFT_3NN, Combiner.POSTERIOR);
    /** Variant: the posterior on raw spectra only (no log, no standardisation). */
    public static final Method POSTERIOR_RAW = new Method("posterior-raw", FeatureTransform.SPECTRUM, ALL, VoterRule.SOFT_3NN, Combiner.POSTERIOR);
    /** The first calibrated recipe: soft 1-NN on standardised log spectra, a weight per voter learned leave-one-group-out. */
    public static final Method WEIGHTED_POSTERIOR = new Method("weighted-posterior", FeatureTransform.LOG_STANDARDISED, ALL, VoterRule.SOFT_NEAREST,
            Combiner.WEIGHTED_POSTERIOR);

    /**
     * One ridge regression of log n over every layer's standardised log spectra, read
     * per size leave-one-group-out; the most probable size, probabilities, an interval, and statuses for
     * adapters beyond the trained range or unlike the training ones (see {@link PooledScore}).
     */
    public static final Method POOLED = new Method("pooled", FeatureTransform.LOG_STANDARDISED, new VoterSet(ALL.kinds(), true),
            VoterRule.POOLED_RIDGE, Combiner.SCORE_POSTERIOR);

    /**
     * dsire's default: {@link #POOLED}, also reading the learning rate and steps a file states (kohya
     * metadata) where every training file states them and they vary; a file without them gets pooled's
     * answer, and a model fitted on one recipe (or on unstated ones) is pooled. Its answer then rests on
     * the metadata too: {@link #POOLED} answers from the weights alone.
     */
    public static final Method POOLED_RECIPE = new Method("pooled-recipe", FeatureTransform.LOG_STANDARDISED, new VoterSet(ALL.kinds(), true),
            VoterRule.POOLED_RIDGE_RECIPE, Combiner.SCORE_POSTERIOR);

    /** The method fit uses when none is named. */
    public static final Method DEFAULT = POOLED_RECIPE;

    private static final List<Method> ALL_METHODS = List.of(DSIRE, FROBENIUS, A_ONLY, B_ONLY, BA_ONLY, NN_FULL, AVG_VOTE, RIDGE, GDA,
            WEIGHTED_VOTE, WEIGHTED_POSTERIOR, POSTERIOR_LOG, POSTERIOR_RAW, POSTERIOR, POOLED, POOLED_RECIPE);

    /** Every named method, the paper's first. */
    public static List<Method> all() {
        return ALL_METHODS;
    }

    public static Method byKey(String key) {
        for (Method m : ALL_METHODS) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + key + "' (known: " + String.join(", ", keys()) + ")");
    }

    public static List<String> keys() {
        return ALL_METHODS.stream().map(Method::key).toList();
    }

    /** "spectrum × per-layer a,b,ba × 1nn × vote": what the method is made of. */
    public String composition() {
        return transform.key() + " × " + voterSet.key() + " × " + rule.key() + " × " + combiner.key();
    }

    /** Whether the method answers with probabilities and an 80% interval. */
    public boolean probabilistic() {
        return combiner.probabilistic();
    }

    /**
     * Whether predictions read the training adapters' reference vectors: every rule but the pooled ridge, which
     * answers from its regression alone (so its saved model stores none, and a loaded one keeps no search copies).
     */
    public boolean searchesReferences() {
        return !rule.pooled();
    }

    /** Whether predictions are a 1-NN vote per voter (what the batched CPU/CUDA neighbour search computes). */
    public boolean nearestVote() {
        return rule == VoterRule.NEAREST && (combiner == Combiner.VOTE || combiner == Combiner.MEAN_VOTE) && !transform.standardised();
    }

    public List<String> voters(Layout layout) {
        return voterSet.names(layout, transform);
    }

    /** Every voter's feature vector for one adapter, before the model's fitted standardisation. */
    public List<double[]> features(AdapterSpectra s) {
        return voterSet.features(s, transform);
    }

    /** Lines for --help: each method's name and composition. */
    public static List<String> helpLines() {
        return ALL_METHODS.stream().map(m -> String.format("  %-18s %s", m.key, m.composition())).toList();
    }
}
