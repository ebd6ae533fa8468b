#ifndef CAUSEWAY_CLINEEDIT_SHIM_H
#define CAUSEWAY_CLINEEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
