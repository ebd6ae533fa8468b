#ifndef CAUSEWAY_CXGBOOST_SHIM_H
#define CAUSEWAY_CXGBOOST_SHIM_H
#include <stdint.h>
#include <xgboost/c_api.h>
#endif
