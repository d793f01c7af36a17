/*
 * A CPU stand-in for the parts of libcuda, cuBLAS and cuSOLVER that dsire binds, for testing the
 * Java side (FFM signatures, buffer layouts, chunking, fallbacks) on machines without a GPU.
 * "Device" memory is host memory, streams are synchronous, and cuLaunchKernel runs a C twin of
 * each kernel in kernels/dsire.cu by name. Built and used by CudaEmulationTest only.
 *
 *   cc -shared -fPIC -O2 -o libcuda.so.1 fakecuda.c -lm   (the same object serves as libcublas/libcusolver)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef uint64_t CUdeviceptr;

/* ---- driver ---- */
CUresult cuGetErrorName(CUresult e, const char **s) { *s = e == 0 ? "CUDA_SUCCESS" : "CUDA_ERROR_FAKE"; return 0; }
CUresult cuInit(unsigned int flags) { (void) flags; return 0; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return 0; }
CUresult cuDeviceGetName(char *name, int len, int dev) { (void) dev; strncpy(name, "Fake CPU GPU", len); return 0; }
CUresult cuDeviceTotalMem_v2(size_t *bytes, int dev) { (void) dev; *bytes = (size_t) 8 << 30; return 0; }
CUresult cuDeviceGetAttribute(int *v, int attr, int dev) { (void) dev; *v = attr == 75 ? 9 : 0; return 0; }
static int context_token;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int dev) { (void) dev; *ctx = &context_token; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int dev) { (void) dev; return 0; }
CUresult cuCtxSetCurrent(void *ctx) { return ctx == &context_token ? 0 : 201; }
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n) { *p = (CUdeviceptr) (uintptr_t) calloc(1, n); return *p ? 0 : 2; }
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *) (uintptr_t) p); return 0; }
CUresult cuMemHostAlloc(void **p, size_t n, unsigned int flags) { (void) flags; *p = calloc(1, n); return *p ? 0 : 2; }
CUresult cuMemFreeHost(void *p) { free(p); return 0; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, void *s) { (void) s; memcpy((void *) (uintptr_t) dst, src, n); return 0; }
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, void *s) { (void) s; memcpy(dst, (void *) (uintptr_t) src, n); return 0; }
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int v, size_t n, void *s) {
    (void) s;
    for (size_t i = 0; i < n; i++) ((unsigned int *) (uintptr_t) dst)[i] = v;
    return 0;
}
static int stream_token;
CUresult cuStreamCreate(void **s, unsigned int flags) { (void) flags; *s = &stream_token; return 0; }
CUresult cuStreamSynchronize(void *s) { (void) s; return 0; }
CUresult cuStreamDestroy_v2(void *s) { (void) s; return 0; }
static int module_token;
CUresult cuModuleLoadData(void **m, const void *image) {
    *m = &module_token;
    return strstr((const char *) image, ".entry nn_argmin") ? 0 : 218; /* the PTX must hold our kernels */
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
    (void) m;
    static const char *known[] = {"to_double", "cholesky_lower", "nn_argmin"};
    for (int i = 0; i < 3; i++) if (!strcmp(name, known[i])) { *f = (void *) known[i]; return 0; }
    return 500;
}

static double half_to_double(unsigned short h) {
    unsigned sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    double v = exp == 0 ? ldexp((double) man, -24) : exp == 31 ? (man ? NAN : INFINITY) : ldexp((double) (man | 0x400u), (int) exp - 25);
    return sign ? -v : v;
}

#define ARG(type, i) (*(type *) params[i])
#define PTR(type, i) ((type *) (uintptr_t) ARG(uint64_t, i))

CUresult cuLaunchKernel(const char *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void *stream, void **params, void **extra) {
    (void) gz; (void) bx; (void) by; (void) bz; (void) shared; (void) stream; (void) extra;
    if (!strcmp(f, "to_double")) {
        const void *in = PTR(const void, 0);
        int dtype = ARG(int, 1);
        long long n = ARG(long long, 2), per = ARG(long long, 3);
        double *out = PTR(double, 4);
        int *bad = PTR(int, 5);
        for (long long i = 0; i < n; i++) {
            double v;
            if (dtype == 0) v = half_to_double(((const unsigned short *) in)[i]);
            else if (dtype == 1) { uint32_t b = (uint32_t) ((const unsigned short *) in)[i] << 16; float x; memcpy(&x, &b, 4); v = x; }
            else if (dtype == 2) v = ((const float *) in)[i];
            else v = ((const double *) in)[i];
            if (!isfinite(v)) bad[i / per] = 1;
            out[i] = v;
        }
        return 0;
    }
    if (!strcmp(f, "cholesky_lower")) {
        const double *g = PTR(const double, 0);
        double *l = PTR(double, 1);
        int r = ARG(int, 2);
        int *info = PTR(int, 3);
        for (unsigned m = 0; m < gx; m++) {
            const double *gm = g + (size_t) m * r * r;
            double *lm = l + (size_t) m * r * r;
            int failed = 0;
            memset(lm, 0, sizeof(double) * r * r);
            for (int j = 0; j < r; j++) {
                double d = gm[j * r + j];
                for (int p = 0; p < j; p++) d -= lm[p * r + j] * lm[p * r + j];
                failed |= !(d > 0.0);
                double ljj = d > 0.0 ? sqrt(d) : 0.0;
                lm[j * r + j] = ljj;
                for (int i = j + 1; i < r; i++) {
                    double v = gm[j * r + i];
                    for (int p = 0; p < j; p++) v -= lm[p * r + i] * lm[p * r + j];
                    lm[j * r + i] = ljj > 0.0 ? v / ljj : 0.0;
                }
            }
            info[m] = failed;
        }
        return 0;
    }
    if (!strcmp(f, "nn_argmin")) {
        const double *refs = PTR(const double, 0);
        const long long *refOffset = PTR(const long long, 1);
        const int *dims = PTR(const int, 2);
        int nrefs = ARG(int, 3);
        const double *queries = PTR(const double, 4);
        const long long *qOffset = PTR(const long long, 5);
        long long qStride = ARG(long long, 6);
        int voters = ARG(int, 7);
        int *out = PTR(int, 8);
        if ((int) gx != voters) return 1;
        for (unsigned q = 0; q < gy; q++) {
            for (int v = 0; v < voters; v++) {
                const double *qv = queries + q * qStride + qOffset[v], *rv = refs + refOffset[v];
                double best = INFINITY;
                int bi = 0;
                for (int i = 0; i < nrefs; i++) {
                    double d = 0;
                    for (int j = 0; j < dims[v]; j++) { double e = rv[(size_t) i * dims[v] + j] - qv[j]; d += e * e; }
                    if (d < best) { best = d; bi = i; }
                }
                out[(size_t) q * voters + v] = bi;
            }
        }
        return 0;
    }
    return 98;
}

/* ---- cuBLAS ---- */
static int handle_token;
int cublasCreate_v2(void **h) { *h = &handle_token; return 0; }
int cublasDestroy_v2(void *h) { (void) h; return 0; }
int cublasSetStream_v2(void *h, void *s) { (void) h; (void) s; return 0; }
int cublasGetVersion_v2(void *h, int *v) { (void) h; *v = 130000; return 0; }
int cublasDgemmStridedBatched(void *h, int ta, int tb, int m, int n, int k, const double *alpha, const double *a, int lda,
                              long long sa, const double *b, int ldb, long long sb, const double *beta, double *c, int ldc,
                              long long sc, int batch) {
    (void) h;
    for (int q = 0; q < batch; q++) {
        const double *A = a + q * sa, *B = b + q * sb;
        double *C = c + q * sc;
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta == 0 ? A[i + (size_t) p * lda] : A[p + (size_t) i * lda];
                    double y = tb == 0 ? B[p + (size_t) j * ldb] : B[j + (size_t) p * ldb];
                    s += x * y;
                }
                C[i + (size_t) j * ldc] = *alpha * s + (*beta == 0 ? 0 : *beta * C[i + (size_t) j * ldc]);
            }
        }
    }
    return 0;
}

/* ---- cuSOLVER ---- */
static int solver_token, info_token;
int cusolverDnCreate(void **h) { *h = &solver_token; return 0; }
int cusolverGetVersion(int *v) { *v = 12000; return 0; }
int cusolverDnDestroy(void *h) { (void) h; return 0; }
int cusolverDnSetStream(void *h, void *s) { (void) h; (void) s; return 0; }
int cusolverDnCreateGesvdjInfo(void **p) { *p = &info_token; return 0; }
int cusolverDnDestroyGesvdjInfo(void *p) { (void) p; return 0; }
int cusolverDnXgesvdjSetTolerance(void *p, double t) { (void) p; return t > 0 ? 0 : 3; }
int cusolverDnXgesvdjSetMaxSweeps(void *p, int s) { (void) p; return s > 0 ? 0 : 3; }
int cusolverDnDgesvdjBatched_bufferSize(void *h, int jobz, int m, int n, const double *a, int lda, const double *s,
                                        const double *u, int ldu, const double *v, int ldv, int *lwork, void *p, int batch) {
    (void) h; (void) jobz; (void) a; (void) s; (void) u; (void) ldu; (void) v; (void) ldv; (void) p;
    if (m > 32 || n > 32 || lda < m || batch < 1) return 3;
    *lwork = m * n;
    return 0;
}

static int descending(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return a < b ? 1 : a > b ? -1 : 0;
}

/* one-sided Jacobi: rotate column pairs of a copy until orthogonal; σ are the column norms */
int cusolverDnDgesvdjBatched(void *h, int jobz, int m, int n, double *a, int lda, double *s, double *u, int ldu, double *v,
                             int ldv, double *work, int lwork, int *info, void *p, int batch) {
    (void) h; (void) jobz; (void) u; (void) ldu; (void) v; (void) ldv; (void) work; (void) p;
    if (m > 32 || n > 32 || lwork < m * n) return 3;
    for (int q = 0; q < batch; q++) {
        double *A = a + (size_t) q * lda * n;
        int converged = 0;
        for (int sweep = 0; sweep < 100 && !converged; sweep++) {
            converged = 1;
            for (int i = 0; i < n - 1; i++) {
                for (int j = i + 1; j < n; j++) {
                    double al = 0, be = 0, ga = 0;
                    for (int r = 0; r < m; r++) {
                        double x = A[r + i * lda], y = A[r + j * lda];
                        al += x * x; be += y * y; ga += x * y;
                    }
                    if (fabs(ga) <= 1e-15 * sqrt(al * be) || ga == 0) continue;
                    converged = 0;
                    double zeta = (be - al) / (2 * ga);
                    double t = (zeta >= 0 ? 1 : -1) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                    double c = 1 / sqrt(1 + t * t), sn = c * t;
                    for (int r = 0; r < m; r++) {
                        double x = A[r + i * lda], y = A[r + j * lda];
                        A[r + i * lda] = c * x - sn * y;
                        A[r + j * lda] = sn * x + c * y;
                    }
                }
            }
        }
        int k = m < n ? m : n;
        double norms[32];
        for (int j = 0; j < n; j++) {
            double t = 0;
            for (int r = 0; r < m; r++) t += A[r + j * lda] * A[r + j * lda];
            norms[j] = sqrt(t);
        }
        qsort(norms, n, sizeof(double), descending);
        memcpy(s + (size_t) q * k, norms, sizeof(double) * k);
        info[q] = converged ? 0 : n + 1;
    }
    return 0;
}
