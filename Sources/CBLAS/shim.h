// Debian's libopenblas-dev puts cblas.h (with openblas_set_num_threads) on the default include path.
#include <cblas.h>
