// GenSupport/checkedProduct.swift - The product of dimensions, or nil when it overflows.

/// Largest number of elements a tensor or data array may have (2^28); larger shapes are rejected
/// with a clear error instead of exhausting memory.
package let maximumTensorElements = 1 << 28

/// The product of `dimensions`, or nil if it overflows `Int`.
package func checkedProduct(_ dimensions: [Int]) -> Int? {
    var product = 1
    for dimension in dimensions {
        let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        product = result
    }
    return product
}
