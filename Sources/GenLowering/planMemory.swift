// GenLowering/planMemory.swift - Places intermediate tensors in static memory.

import GenTarget

/// Places tensors `T1 ..< T(m)` produced by consecutive steps (T0 is the caller's input, Tm the
/// caller's output). Each step reads only its predecessor's tensor, so at most two are live at once.
///
/// - `arena`: odd tensors at offset 0, even ones flush with the arena's end; then neighbours never
///   overlap and the arena is exactly the largest sum of two neighbouring sizes (the largest live pair).
/// - `ping-pong`: odd tensors in buffer 0, even ones in buffer 1, each as large as its largest tensor.
package func planMemory(tensorSizes sizes: [Int], layout: MemoryLayout) -> (
    locations: [BufferLocation], arena: Int, pingPong: [Int]
) {
    let count = sizes.count
    var locations = [BufferLocation](repeating: .input, count: count)
    guard count >= 2 else { return (locations, 0, []) }
    locations[count - 1] = .output
    let intermediates = 1..<(count - 1)
    switch layout {
    case .arena:
        var arena = 0
        for i in intermediates {
            arena = max(arena, sizes[i])
            if i + 1 < count - 1 { arena = max(arena, sizes[i] + sizes[i + 1]) }
        }
        for i in intermediates { locations[i] = .arena(offset: i % 2 == 1 ? 0 : arena - sizes[i]) }
        return (locations, arena, [])
    case .pingPong:
        var buffers = [0, 0]
        for i in intermediates {
            buffers[(i + 1) % 2] = max(buffers[(i + 1) % 2], sizes[i])
            locations[i] = .pingPong((i + 1) % 2)
        }
        return (locations, 0, buffers.filter { $0 > 0 })
    }
}
