// See CMessagePassing.h. The ABI facts used here come from Open MPI 4's mpi.h: every handle
// type (MPI_Comm, MPI_Datatype, MPI_Op) is a pointer, and each predefined handle is the address
// of an exported global (`ompi_mpi_comm_world`, `ompi_mpi_float`, ...), which is exactly what
// dlsym returns for that global's name.
#include "CMessagePassing.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>

typedef void *handle_t;

static int (*init_thread)(int *, char ***, int, int *);
static int (*comm_rank)(handle_t, int *);
static int (*comm_size)(handle_t, int *);
static int (*allreduce)(const void *, void *, int, handle_t, handle_t, handle_t);
static int (*bcast)(void *, int, handle_t, int, handle_t);
static int (*barrier)(handle_t);
static int (*finalize)(void);
static int (*finalized)(int *);

static handle_t comm_world, type_float, type_double, type_byte, op_sum;
static void *in_place = (void *)1;  // MPI_IN_PLACE in Open MPI
static int rank = 0, size = 1, initialized = 0;

enum { mpi_thread_funneled = 1 };

static int resolve(void *library, const char *name, void **slot, char *error, size_t capacity) {
    *slot = dlsym(library, name);
    if (*slot) return 0;
    snprintf(error, capacity, "libmpi has no symbol %s", name);
    return -2;
}

int mp_initialize(char *error, size_t capacity) {
    if (initialized) return 0;
    // RTLD_GLOBAL: Open MPI's own plugins, which it dlopens in turn, resolve libmpi's symbols.
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, capacity, "%s", dlerror());
        return -1;
    }
    struct { const char *name; void **slot; } symbols[] = {
        {"MPI_Init_thread", (void **)&init_thread}, {"MPI_Comm_rank", (void **)&comm_rank},
        {"MPI_Comm_size", (void **)&comm_size}, {"MPI_Allreduce", (void **)&allreduce},
        {"MPI_Bcast", (void **)&bcast}, {"MPI_Barrier", (void **)&barrier},
        {"MPI_Finalize", (void **)&finalize}, {"MPI_Finalized", (void **)&finalized},
        {"ompi_mpi_comm_world", &comm_world}, {"ompi_mpi_float", &type_float},
        {"ompi_mpi_double", &type_double}, {"ompi_mpi_byte", &type_byte}, {"ompi_mpi_op_sum", &op_sum},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        int status = resolve(library, symbols[i].name, symbols[i].slot, error, capacity);
        if (status) return status;
    }
    int provided = 0;
    int status = init_thread(NULL, NULL, mpi_thread_funneled, &provided);
    if (status) {
        snprintf(error, capacity, "MPI_Init_thread failed with code %d", status);
        return status;
    }
    comm_rank(comm_world, &rank);
    comm_size(comm_world, &size);
    initialized = 1;
    return 0;
}

int mp_rank(void) { return rank; }
int mp_size(void) { return size; }

// MPI counts are ints: longer buffers go in INT_MAX-element pieces.
static int allreduce_in_pieces(char *values, long count, size_t width, handle_t type) {
    while (count > 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        int status = allreduce(in_place, values, piece, type, op_sum, comm_world);
        if (status) return status;
        values += (size_t)piece * width;
        count -= piece;
    }
    return 0;
}

int mp_allreduce_sum_float(float *values, long count) {
    return allreduce_in_pieces((char *)values, count, sizeof(float), type_float);
}

int mp_allreduce_sum_double(double *values, long count) {
    return allreduce_in_pieces((char *)values, count, sizeof(double), type_double);
}

int mp_broadcast_bytes(void *bytes, long count, int root) {
    char *cursor = bytes;
    while (count > 0) {
        int piece = count > INT_MAX ? INT_MAX : (int)count;
        int status = bcast(cursor, piece, type_byte, root, comm_world);
        if (status) return status;
        cursor += piece;
        count -= piece;
    }
    return 0;
}

int mp_barrier(void) { return barrier(comm_world); }

int mp_finalize(void) {
    if (!initialized) return 0;
    int done = 0;
    finalized(&done);
    initialized = 0;
    return done ? 0 : finalize();
}
