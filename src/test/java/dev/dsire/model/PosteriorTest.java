package dev.dsire.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class PosteriorTest {
    private static final List<Integer> SIZES = List.of(1, 10, 20, 30);

    @Test
    void theMedianAndTheEqualTailedIntervalComeFromTheCumulativeProbabilities() {
        Posterior p = new Posterior(SIZES, new double[] {0.05, 0.5, 0.3, 0.15});
        assertEquals(10, p.median());
        assertArrayEquals(new int[] {10, 30}, p.interval80(), "10% quantile at 10 (0.05 < 0.1), 90% at 30 (0.85 < 0.9)");
        assertEquals(0.3, p.probability(20), 1e-12);
        assertEquals(0, p.probability(7));
        Posterior sure = new Posterior(SIZES, new double[] {0, 0, 1, 0});
        assertEquals(20, sure.median());
        assertArrayEquals(new int[] {20, 20}, sure.interval80());
        assertEquals(20, sure.estimate(), 1e-12);
    }

    @Test
    void theEstimateIsContinuousBetweenTrainingSizes() {
        Posterior split = new Posterior(SIZES, new double[] {0, 0.5, 0, 0.5});
        assertEquals(20, split.estimate(), 1e-9, "the mean");
        assertEquals(10, split.median(), "the median stays a training size");
    }

    @Test
    void logScoresBecomeNormalisedProbabilities() {
        Posterior p = Posterior.fromLogScores(SIZES, new double[] {-1000, 0, Math.log(3), -2000});
        assertEquals(0.25, p.p()[1], 1e-12);
        assertEquals(0.75, p.p()[2], 1e-12);
        assertEquals(0, p.p()[0], 1e-12);
        assertEquals(p, Posterior.fromLogScores(SIZES, new double[] {-1000, 0, Math.log(3), -2000}));
    }
}
