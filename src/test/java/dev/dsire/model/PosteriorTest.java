package dev.dsire.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class PosteriorTest {
    private static final List<Integer> SIZES = List.of(1, 10, 20, 30);

    @Test
    void theMedianAndTheNarrowestIntervalComeFromTheProbabilities() {
        Posterior p = new Posterior(SIZES, new double[] {0.05, 0.5, 0.3, 0.15});
        assertEquals(10, p.median());
        assertArrayEquals(new int[] {10, 20}, p.interval80(), "10..20 holds 0.8, as narrow as any run that does");
        assertArrayEquals(new int[] {10, 30}, p.interval(0.9), "0.9 needs 10..30 (0.95); 1..20 holds only 0.85");
        assertArrayEquals(new int[] {1, 30}, p.interval(0.99));
        assertArrayEquals(new int[] {10, 10}, p.interval(0.5));
        assertEquals(0.3, p.probability(20), 1e-12);
        assertEquals(0, p.probability(7));
        Posterior sure = new Posterior(SIZES, new double[] {0, 0, 1, 0});
        assertEquals(20, sure.median());
        assertArrayEquals(new int[] {20, 20}, sure.interval80());
        assertEquals(20, sure.estimate(), 1e-12);
    }

    @Test
    void ofEquallyNarrowIntervalsTheOneWithMoreProbabilityWins() {
        Posterior p = new Posterior(List.of(1, 2, 3, 4), new double[] {0.1, 0.35, 0.1, 0.45});
        assertArrayEquals(new int[] {2, 4}, p.interval80(), "1..3 holds 0.55, 2..4 holds 0.9: the first width-2 run to reach 0.8");
        Posterior q = new Posterior(List.of(1, 2, 3, 4), new double[] {0.4, 0.4, 0.1, 0.1}, 0.5);
        assertArrayEquals(new int[] {1, 2}, q.interval80(), "two one-size runs hold 0.4 < 0.5; 1..2 (0.8) beats 2..3 (0.5)");
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
