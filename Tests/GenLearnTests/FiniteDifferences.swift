// GenLearnTests/FiniteDifferences.swift - The numeric gradient the gradient tests compare against.

/// ∂f/∂x_i for every i by central differences, (f(x + εe_i) − f(x − εe_i)) / 2ε.
func centralDifferences(_ f: ([Double]) -> Double, at x: [Double], epsilon: Double = 1e-6) -> [Double] {
    x.indices.map { i in
        var plus = x
        var minus = x
        plus[i] += epsilon
        minus[i] -= epsilon
        return (f(plus) - f(minus)) / (2 * epsilon)
    }
}
