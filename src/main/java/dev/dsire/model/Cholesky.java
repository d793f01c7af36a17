package dev.dsire.model;

/** The Cholesky factor L (row-major, lower) of a symmetric positive definite d×d matrix, for solving. */
record Cholesky(int d, double[] l) {

    static Cholesky of(double[] a, int d) {
        double[] l = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * d + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * d + k] * l[j * d + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalStateException("matrix is not positive definite");
                    }
                    l[i * d + i] = Math.sqrt(s);
                } else {
                    l[i * d + j] = s / l[j * d + j];
                }
            }
        }
        return new Cholesky(d, l);
    }

    /** x with A·x = b. */
    double[] solve(double[] b) {
        double[] y = new double[d];
        for (int i = 0; i < d; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i * d + k] * y[k];
            }
            y[i] = s / l[i * d + i];
        }
        double[] x = new double[d];
        for (int i = d - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < d; k++) {
                s -= l[k * d + i] * x[k];
            }
            x[i] = s / l[i * d + i];
        }
        return x;
    }
}
