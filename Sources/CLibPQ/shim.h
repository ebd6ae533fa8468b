#ifndef CAUSEWAY_CLIBPQ_SHIM_H
#define CAUSEWAY_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
