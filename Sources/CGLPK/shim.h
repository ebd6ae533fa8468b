#ifndef CAUSEWAY_CGLPK_SHIM_H
#define CAUSEWAY_CGLPK_SHIM_H
#include <glpk.h>
#endif
