// dsire device code. Built three ways from this one file (see kernels/README.md):
//   nvcc -fatbin (kernels/build.sh, committed as dsire.fatbin) — SASS for sm_80 and sm_90, compute_90 PTX;
//   nvcc -ptx (kernels/build.sh, committed as dsire.ptx) — compute_75, JIT-compiled by the driver for other GPUs;
//   NVRTC at run time — when the driver is too old for both (CUDA 12 drivers and CUDA 13 images).
// Plain C ABI names (extern "C") so the host looks them up by name.

extern "C" {

// dtype codes shared with dev.dsire.cuda.CudaSpectrumBackend
#define DT_F16 0
#define DT_BF16 1
#define DT_F32 2
#define DT_F64 3

__device__ __forceinline__ double half_to_double(unsigned short h) {
    unsigned int sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    double v;
    if (exp == 0) {
        v = ldexp((double) man, -24);                      // subnormal (or zero)
    } else if (exp == 31) {
        v = man ? __longlong_as_double(0x7ff8000000000000ULL) : __longlong_as_double(0x7ff0000000000000ULL);
    } else {
        v = ldexp((double) (man | 0x400u), (int) exp - 25); // normal
    }
    return sign ? -v : v;
}

// Raw weights of `count` equal-sized layers (perLayer elements each) to doubles, in place order.
// bad[layer] is set to 1 when that layer holds NaN or infinity.
__global__ void to_double(const void* in, int dtype, long long n, long long perLayer, double* out, int* bad) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        double v;
        switch (dtype) {
            case DT_F16: v = half_to_double(((const unsigned short*) in)[i]); break;
            case DT_BF16: v = (double) __int_as_float(((int) ((const unsigned short*) in)[i]) << 16); break;
            case DT_F32: v = (double) ((const float*) in)[i]; break;
            default: v = ((const double*) in)[i]; break;
        }
        if (!isfinite(v)) {
            bad[i / perLayer] = 1;
        }
        out[i] = v;
    }
}

// Lower Cholesky factors of `count` symmetric r×r matrices (column-major, packed), r <= 32:
// one block of 32 threads per matrix, the matrix in shared memory. The strict upper triangle of
// the output is zero. info[m] = 1 when the matrix is not numerically positive definite.
__global__ void cholesky_lower(const double* g, double* l, int r, int* info) {
    __shared__ double s[32][33];
    int m = blockIdx.x, t = threadIdx.x;
    const double* gm = g + (long long) m * r * r;
    double* lm = l + (long long) m * r * r;
    for (int j = 0; j < r; j++) {
        if (t < r) s[t][j] = gm[j * r + t];
    }
    __syncthreads();
    int failed = 0;
    for (int j = 0; j < r; j++) {
        // s[j][j] -= sum of squares of row j left of the diagonal; computed by every thread alike
        double d = s[j][j];
        for (int p = 0; p < j; p++) d -= s[j][p] * s[j][p];
        failed |= !(d > 0.0);
        double ljj = d > 0.0 ? sqrt(d) : 0.0;
        __syncthreads();
        if (t > j && t < r) {
            double v = s[t][j];
            for (int p = 0; p < j; p++) v -= s[t][p] * s[j][p];
            s[t][j] = ljj > 0.0 ? v / ljj : 0.0;
        }
        if (t == j) s[j][j] = ljj;
        __syncthreads();
    }
    for (int j = 0; j < r; j++) {
        if (t < r) lm[j * r + t] = t >= j ? s[t][j] : 0.0;
    }
    if (t == 0) info[m] = failed;
}

// Squared L2 distance in exactly the CPU's order (dev.dsire.model.NearestNeighbour), so that
// near-ties fall the same way: 4 lanes of fused multiply-adds over the first dim - dim % 4
// components (lane l takes j = l, l+4, ...), the lanes summed as (0 + 1) + (2 + 3), then the
// remaining components one by one, multiplied and added with separate roundings (no FMA).
__device__ __forceinline__ double nn_distance(const double* r, const double* q, int dim) {
    int bound = dim - dim % 4, j = 0;
    double l0 = 0.0, l1 = 0.0, l2 = 0.0, l3 = 0.0;
    for (; j < bound; j += 4) {
        double t0 = __dsub_rn(r[j], q[j]), t1 = __dsub_rn(r[j + 1], q[j + 1]);
        double t2 = __dsub_rn(r[j + 2], q[j + 2]), t3 = __dsub_rn(r[j + 3], q[j + 3]);
        l0 = __fma_rn(t0, t0, l0);
        l1 = __fma_rn(t1, t1, l1);
        l2 = __fma_rn(t2, t2, l2);
        l3 = __fma_rn(t3, t3, l3);
    }
    double d = __dadd_rn(__dadd_rn(l0, l1), __dadd_rn(l2, l3));
    for (; j < dim; j++) {
        double t = __dsub_rn(r[j], q[j]);
        d = __dadd_rn(d, __dmul_rn(t, t));
    }
    return d;
}

// Exact 1-NN: block (v, q) finds, for voter v and query q, the reference with the smallest L2
// distance; ties go to the smallest index and a query with no finite distance (all NaN) gets -1,
// both as on the CPU. Voter v's references are nrefs vectors of dims[v] doubles at refs + refOffset[v];
// query q's features for voter v start at queries + q * qStride + qOffset[v]. out[q * voters + v]
// receives the index.
__global__ void nn_argmin(const double* refs, const long long* refOffset, const int* dims, int nrefs,
                          const double* queries, const long long* qOffset, long long qStride, int voters, int* out) {
    __shared__ double bestD[256];
    __shared__ int bestI[256];
    int v = blockIdx.x, q = blockIdx.y, t = threadIdx.x;
    int dim = dims[v];
    const double* qv = queries + q * qStride + qOffset[v];
    const double* rv = refs + refOffset[v];
    double bd = __longlong_as_double(0x7ff0000000000000ULL);
    int bi = 0x7fffffff;
    for (int i = t; i < nrefs; i += blockDim.x) {
        double d = nn_distance(rv + (long long) i * dim, qv, dim);
        if (d < bd) { bd = d; bi = i; }   // i grows per thread: the first minimum stays; NaN never wins
    }
    bestD[t] = bd;
    bestI[t] = bi;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) {
            double od = bestD[t + s];
            int oi = bestI[t + s];
            if (od < bestD[t] || (od == bestD[t] && oi < bestI[t])) { bestD[t] = od; bestI[t] = oi; }
        }
        __syncthreads();
    }
    if (t == 0) out[(long long) q * voters + v] = bestI[0] == 0x7fffffff ? -1 : bestI[0];
}

}
