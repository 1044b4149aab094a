// GenCompress/Decomposition/singularValueDecomposition.swift - Thin SVD of a weight matrix through GSL.

import CGSL

/// `A = U · diag(values) · Vᵀ` for a `rows × columns` matrix, with m = min(rows, columns) components
/// in descending order of their singular value.
package struct SingularValueDecomposition: Sendable {
    package var rows: Int
    package var columns: Int
    /// `rows × m`, row-major; orthonormal columns.
    package var u: [Double]
    /// The m singular values, largest first.
    package var values: [Double]
    /// `columns × m`, row-major; orthonormal columns.
    package var v: [Double]

    package var components: Int { values.count }
}

/// The thin SVD of `matrix` (`rows × columns`, row-major) by GSL's Golub–Reinsch
/// `gsl_linalg_SV_decomp`, which needs at least as many rows as columns: a wide matrix is
/// decomposed through its transpose. Each component's sign is fixed (the largest |entry| of its
/// u column is positive) so that the factors do not depend on the library's sign choices.
/// nil if GSL reports a failure (it gives up after a bounded number of QR sweeps); GSL's default
/// handler, which would abort the process, is switched off for the call.
package func singularValueDecomposition(_ matrix: [Double], rows: Int, columns: Int) -> SingularValueDecomposition? {
    precondition(rows > 0 && columns > 0 && matrix.count == rows * columns, "matrix shape")
    let transposed = rows < columns
    let tall = (rows: transposed ? columns : rows, columns: transposed ? rows : columns)
    let m = tall.columns
    let a = gsl_matrix_alloc(tall.rows, tall.columns)!
    let vMatrix = gsl_matrix_alloc(m, m)!
    let s = gsl_vector_alloc(m)!
    let work = gsl_vector_alloc(m)!
    defer {
        gsl_matrix_free(a)
        gsl_matrix_free(vMatrix)
        gsl_vector_free(s)
        gsl_vector_free(work)
    }
    for r in 0..<rows {
        for c in 0..<columns {
            let value = matrix[r * columns + c]
            if transposed { gsl_matrix_set(a, c, r, value) } else { gsl_matrix_set(a, r, c, value) }
        }
    }
    let previousHandler = gsl_set_error_handler_off()
    let status = gsl_linalg_SV_decomp(a, vMatrix, s, work)
    gsl_set_error_handler(previousHandler)
    guard status == 0 else { return nil }
    // Tall case: A = U S Vᵀ with U in `a`. Wide case: Aᵀ = U' S V'ᵀ, so U = V' and V = U'.
    var u = [Double](repeating: 0, count: rows * m)
    var v = [Double](repeating: 0, count: columns * m)
    for j in 0..<m {
        for r in 0..<rows { u[r * m + j] = transposed ? gsl_matrix_get(vMatrix, r, j) : gsl_matrix_get(a, r, j) }
        for c in 0..<columns { v[c * m + j] = transposed ? gsl_matrix_get(a, c, j) : gsl_matrix_get(vMatrix, c, j) }
    }
    for j in 0..<m {
        var largest = 0
        for r in 0..<rows where abs(u[r * m + j]) > abs(u[largest * m + j]) { largest = r }
        if u[largest * m + j] < 0 {
            for r in 0..<rows { u[r * m + j] = -u[r * m + j] }
            for c in 0..<columns { v[c * m + j] = -v[c * m + j] }
        }
    }
    return SingularValueDecomposition(
        rows: rows, columns: columns, u: u, values: (0..<m).map { gsl_vector_get(s, $0) }, v: v)
}
