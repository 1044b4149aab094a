// GenLearn/MatrixMultiply.swift - Which CBLAS implementation runs training's matrix products.

import CGSL
import Foundation

/// `cblas_dgemm`'s C signature, shared by every CBLAS (GSL's and OpenBLAS's have the same ABI).
typealias DGEMM = @convention(c) (
    CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
    UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32
) -> Void

/// The BLAS behind training (`--blas`). GSL's reference CBLAS is the default: plain C, so the same
/// flags give the same bytes on every x86-64 machine. OpenBLAS is about 3x faster (BENCHMARKS.md) but
/// picks its kernels by CPU at run time, so results may differ in the last bits between machines; it
/// runs single-threaded here, which keeps it deterministic on one machine.
package struct MatrixMultiply: Sendable {
    package enum Implementation: String, Sendable, CaseIterable {
        case gsl, openblas
    }

    package let implementation: Implementation
    let dgemm: DGEMM

    /// GSL's CBLAS, linked into gen.
    package static let gsl = MatrixMultiply(implementation: .gsl, dgemm: cblas_dgemm)

    /// OpenBLAS loaded from the system (libopenblas.so.0, Debian's libopenblas0-*), set to one
    /// thread; nil when it is not installed. Loaded with RTLD_LOCAL so that its cblas_dgemm does
    /// not replace GSL's for the rest of the process.
    package static func loadOpenBLAS() -> MatrixMultiply? {
        guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL),
            let symbol = dlsym(handle, "cblas_dgemm")
        else { return nil }
        if let threads = dlsym(handle, "openblas_set_num_threads") {
            typealias SetThreads = @convention(c) (Int32) -> Void
            unsafeBitCast(threads, to: SetThreads.self)(1)
        }
        return MatrixMultiply(implementation: .openblas, dgemm: unsafeBitCast(symbol, to: DGEMM.self))
    }
}
