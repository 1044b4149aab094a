// GenLowering/planMemory.swift - Places intermediate tensors and per-step scratch in static memory.

import GenTarget

/// Places tensors `T1 ..< T(m)` produced by consecutive steps (T0 is the caller's input, Tm the
/// caller's output). Each step reads only its predecessor's tensor, so at most two are live at once.
/// Step `j` (reading `T(j)`, writing `T(j+1)`) may also need `scratch[j]` elements while it runs
/// (a conv2d's im2col column); only the arena layout offers scratch.
///
/// - `arena`: odd tensors at offset 0, even ones flush with the arena's end; then neighbours never
///   overlap and the arena is the largest live pair, or live pair plus scratch where that is larger.
///   A step's scratch sits right after the live tensor at offset 0 (or at 0), inside the gap.
/// - `ping-pong`: odd tensors in buffer 0, even ones in buffer 1, each as large as its largest tensor.
package func planMemory(tensorSizes sizes: [Int], scratch: [Int] = [], layout: MemoryLayout) -> (
    locations: [BufferLocation], arena: Int, pingPong: [Int], scratchOffsets: [Int?]
) {
    let count = sizes.count
    var locations = [BufferLocation](repeating: .input, count: count)
    let steps = max(count - 1, 0)
    let scratchOf = { (step: Int) in step < scratch.count ? scratch[step] : 0 }
    guard count >= 2 else { return (locations, 0, [], []) }
    locations[count - 1] = .output
    let intermediates = 1..<(count - 1)
    func isIntermediate(_ i: Int) -> Bool { intermediates.contains(i) }
    switch layout {
    case .arena:
        var arena = 0
        for step in 0..<steps {
            let live = [step, step + 1].filter(isIntermediate).reduce(0) { $0 + sizes[$1] }
            arena = max(arena, live + scratchOf(step))
        }
        for i in intermediates { locations[i] = .arena(offset: i % 2 == 1 ? 0 : arena - sizes[i]) }
        let offsets: [Int?] = (0..<steps).map { step in
            guard scratchOf(step) > 0 else { return nil }
            // The odd one of the two neighbours sits at offset 0; the scratch follows it.
            let odd = step % 2 == 1 ? step : step + 1
            return isIntermediate(odd) ? sizes[odd] : 0
        }
        return (locations, arena, [], offsets)
    case .pingPong:
        precondition(scratch.allSatisfy { $0 == 0 }, "the ping-pong layout offers no scratch")
        var buffers = [0, 0]
        for i in intermediates {
            buffers[(i + 1) % 2] = max(buffers[(i + 1) % 2], sizes[i])
            locations[i] = .pingPong((i + 1) % 2)
        }
        return (locations, 0, buffers.filter { $0 > 0 }, Array(repeating: nil, count: steps))
    }
}
