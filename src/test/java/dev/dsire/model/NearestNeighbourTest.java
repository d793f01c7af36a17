package dev.dsire.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NearestNeighbourTest {

    @Test
    void theMeanOverEachClasssKNearestMatchesSortingEveryDistance() {
        Random rnd = new Random(7);
        for (int dim : new int[] {1, 3, 4, 8, 13}) {
            int n = 40, classes = 4;
            double[] refs = new double[n * dim];
            int[] classOf = new int[n];
            for (int i = 0; i < n; i++) {
                classOf[i] = i % 5 == 4 ? 3 : i % 3; // class 3 has 8 references
                for (int j = 0; j < dim; j++) {
                    refs[i * dim + j] = rnd.nextGaussian();
                }
            }
            NearestNeighbour nn = new NearestNeighbour(dim, refs);
            double[] q = new double[dim];
            Arrays.setAll(q, j -> rnd.nextGaussian());
            for (int k : new int[] {1, 2, 3, 10}) {
                double[] got = nn.meanNearestPerClass(q, classOf, classes + 1, k);
                for (int c = 0; c < classes; c++) {
                    List<Double> d = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        if (classOf[i] == c) {
                            d.add(Math.sqrt(nn.squaredDistance(i, q)));
                        }
                    }
                    d.sort(null);
                    double want = d.subList(0, Math.min(k, d.size())).stream().mapToDouble(x -> x).average().orElseThrow();
                    assertEquals(want, got[c], 1e-12 * want, "dim " + dim + ", k " + k + ", class " + c);
                }
                assertEquals(Double.POSITIVE_INFINITY, got[classes], "a class without references is infinitely far");
            }
            double[] one = nn.meanNearestPerClass(q, classOf, classes, 1), sq = nn.nearestPerClass(q, classOf, classes);
            for (int c = 0; c < classes; c++) {
                assertEquals(Math.sqrt(sq[c]), one[c], 1e-15 * one[c], "k = 1 is the nearest distance");
            }
        }
    }

    @Test
    void theCompactIndexAgreesWithTheExactSearchToFloatPrecision() {
        Random rnd = new Random(11);
        for (int dim : new int[] {3, 8, 32}) {
            int n = 45, classes = 3;
            double[] refs = new double[n * dim];
            int[] classOf = new int[n];
            for (int i = 0; i < n; i++) {
                classOf[i] = (i * 7) % classes;
                for (int j = 0; j < dim; j++) {
                    refs[i * dim + j] = Math.exp(rnd.nextGaussian());
                }
            }
            NearestNeighbour nn = new NearestNeighbour(dim, refs);
            CompactIndex ci = CompactIndex.of(nn, classOf, classes + 1);
            double[] q = new double[dim];
            Arrays.setAll(q, j -> Math.exp(rnd.nextGaussian()));
            for (int k : new int[] {1, 3, 4}) {
                double[] exact = nn.meanNearestPerClass(q, classOf, classes + 1, k), compact = ci.meanNearestPerClass(q, k);
                for (int c = 0; c < classes; c++) {
                    assertEquals(exact[c], compact[c], 1e-6 * exact[c], "dim " + dim + ", k " + k + ", class " + c);
                }
                assertEquals(Double.POSITIVE_INFINITY, compact[classes], "a class without references");
            }
        }
    }

    /** Distances that overflow a double still find the nearest reference (a huge reference), or one of them (a huge query). */
    @Test
    void distancesThatOverflowStillFindTheNearest() {
        NearestNeighbour hugeRefs = new NearestNeighbour(2, new double[] {1e300, 1e300, 3e200, -1e300, 1e300, 2e299});
        assertEquals(1, hugeRefs.nearest(new double[] {1, 0.5}), "3e200 is the nearest of three references far past sqrt(MAX)");
        NearestNeighbour small = new NearestNeighbour(1, new double[] {1, -2, 5});
        assertTrue(small.nearest(new double[] {1e300}) >= 0, "a huge query: every reference equally far in doubles, but one is chosen");
        assertEquals(-1, small.nearest(new double[] {Double.NaN}), "a NaN feature abstains");
        assertEquals(0, new NearestNeighbour(1, new double[] {0, 0}).nearest(new double[] {0}));
    }
}
