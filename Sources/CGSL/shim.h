// CGSL/shim.h - The GSL headers Sprig's float64 reference uses (BLAS level 2 and 3 through GSL).
#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
