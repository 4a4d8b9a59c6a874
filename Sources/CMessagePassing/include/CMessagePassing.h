// Open MPI reached at run time: the rlhf binary never links libmpi, so a single-process run needs
// no MPI installed, and building needs no MPI headers. Swift cannot import mpi.h's handle macros
// (MPI_COMM_WORLD is the address of a global), so this shim resolves them, and the few calls
// training needs, through dlopen.
#ifndef CMESSAGEPASSING_H
#define CMESSAGEPASSING_H

#include <stddef.h>

/// Loads libmpi, resolves every symbol below and calls MPI_Init_thread (funneled: only the main
/// thread communicates). Returns 0, or a negative code with a message in `error` (at most
/// `capacity` bytes): -1 libmpi did not load, -2 a symbol is missing, otherwise MPI's own code.
int mp_initialize(char *error, size_t capacity);

/// This process's rank and the world's size; valid after a successful mp_initialize.
int mp_rank(void);
int mp_size(void);

/// In-place sums over every rank; each returns MPI's error code (0 is success).
int mp_allreduce_sum_float(float *values, long count);
int mp_allreduce_sum_double(double *values, long count);

/// Copies `count` bytes from rank `root` to every rank.
int mp_broadcast_bytes(void *bytes, long count, int root);

int mp_barrier(void);

/// Finalizes MPI; harmless when it was never initialized.
int mp_finalize(void);

#endif
