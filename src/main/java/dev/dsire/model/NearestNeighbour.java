package dev.dsire.model;

/**
 * Exact 1-nearest-neighbour (L2) over n reference vectors of one dimension, stored flat.
 * Ties go to the earliest reference, so results do not depend on anything but the fit order.
 */
public record NearestNeighbour(int dim, double[] refs) {

    public int size() {
        return refs.length / dim;
    }

    /** Index of the reference nearest to q. */
    public int nearest(double[] q) {
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int i = 0, n = size(); i < n; i++) {
            int o = i * dim;
            double d = 0;
            for (int j = 0; j < dim && d < bestDist; j++) {
                double t = refs[o + j] - q[j];
                d += t * t;
            }
            if (d < bestDist) {
                bestDist = d;
                best = i;
            }
        }
        return best;
    }
}
