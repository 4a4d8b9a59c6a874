// Debian's libopenblas-dev puts cblas.h (with openblas_set_num_threads) on the default include path.
#include <cblas.h>

// LAPACK's Cholesky factorisation, which libopenblas exports without a C header on the default
// include path (f77blas.h sits in the flavour's own folder).
int dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
