package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/** The scalar Gram twins give the vector tiles' bits, entry by entry, on the lower triangle. */
class ScalarGramTest {
    private static final int W = DoubleVector.SPECIES_PREFERRED.length();

    private static double[] values(Random r, int count) {
        double[] x = new double[count];
        for (int i = 0; i < count; i++) {
            // magnitudes over many binades, so a changed order or a lost fusion changes the last bits
            x[i] = r.nextGaussian() * Math.pow(2, r.nextInt(24) - 12);
        }
        return x;
    }

    private static void sameLowerTriangle(double[] expected, double[] actual, int n, String what) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                assertEquals(Double.doubleToRawLongBits(expected[i * n + j]), Double.doubleToRawLongBits(actual[i * n + j]),
                        what + " entry " + i + "," + j + ": " + expected[i * n + j] + " vs " + actual[i * n + j]);
            }
        }
    }

    @Test
    void rowsTwinMatchesTheRowTiles() {
        Random r = new Random(1);
        // the shapes the row tiles take: n a multiple of the vector length and of 4; several blocks accumulated
        for (int n : new int[] {8, 16, 24, 32, 64}) {
            if (n % W != 0) {
                continue;
            }
            double[] vector = new double[n * n], scalar = new double[n * n];
            for (int block = 0; block < 3; block++) {
                int len = 1 + r.nextInt(700);
                double[] x = values(r, len * n);
                LayerCore.gramRowsAdd(x, len, n, vector);
                ScalarGram.rowsAdd(x, len, n, scalar);
            }
            sameLowerTriangle(vector, scalar, n, "rows n=" + n);
        }
    }

    @Test
    void dotTwinMatchesTheDotTiles() {
        Random r = new Random(2);
        // any rank (4×4 tiles and the last n mod 4 rows), any length (the last len mod W products), several blocks
        for (int n : new int[] {1, 3, 4, 5, 8, 11, 16, 32, 33}) {
            double[] vector = new double[n * n], scalar = new double[n * n];
            for (int block = 0; block < 3; block++) {
                int len = 1 + r.nextInt(3000);
                double[] x = values(r, n * len);
                LayerCore.gramAdd(x, n, len, vector);
                ScalarGram.add(x, n, len, scalar, W);
            }
            sameLowerTriangle(vector, scalar, n, "dot n=" + n);
        }
    }

    @Test
    void unrolledWidthsMatchTheLaneArray() {
        Random r = new Random(3);
        // the widths unrolled for C1 (8 and 4) and the array of lanes any other width takes, both parities of the
        // row pairs, lengths shorter than a lane group and with every remainder
        for (int w : new int[] {2, 4, 8, 16}) {
            for (int n : new int[] {1, 2, 3, 6, 7, 32}) {
                double[] expected = new double[n * n], actual = new double[n * n];
                for (int block = 0; block < 3; block++) {
                    int len = 1 + r.nextInt(3 * w + 40);
                    double[] x = values(r, n * len);
                    ScalarGram.addAnyWidth(x, n, len, expected, w);
                    ScalarGram.add(x, n, len, actual, w);
                }
                sameLowerTriangle(expected, actual, n, "w=" + w + " n=" + n);
            }
        }
    }
}
