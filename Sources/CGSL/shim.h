// CGSL/shim.h - The GSL headers Sprig uses: BLAS levels 2 and 3 (float64 reference, training) and
// the singular value decomposition (EDP's truncated SVD).
#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
