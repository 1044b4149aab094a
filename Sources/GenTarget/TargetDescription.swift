// GenTarget/TargetDescription.swift - What a target needs from the generator, read from Toolchains/<name>.json.

import GenSupport

/// How a target wants its activation buffers laid out.
package enum MemoryLayout: String, Sendable, CaseIterable {
    /// One static arena; each tensor at a fixed offset (ping-pong from both ends). Cortex-M, host.
    case arena
    /// Two separate static buffers used alternately, so HLS tools can partition each and no
    /// pointer arithmetic appears in the kernels.
    case pingPong = "ping-pong"
}

/// A target (host, mcu, hls): the C dialect details and how to build for it.
package struct TargetDescription: Sendable {
    package var name: String
    package var description: String
    package var memoryLayout: MemoryLayout
    /// Emit `#pragma HLS` directives (through a macro that is empty outside synthesis).
    package var hlsPragmas: Bool
    /// Attribute placed on constant tables, e.g. `__attribute__((aligned(4)))`; empty for none.
    package var tableAttribute: String
    /// Compiler and flags that the tests and `Scripts/` use to build this target's output.
    package var compiler: String
    package var compilerFlags: [String]
    /// For cross targets: how to run a program (e.g. qemu-system-arm arguments); empty for native.
    package var runner: [String]
    /// Emit Arm DSP (`__smlad`, `__sxtb16`) kernels, guarded by `__ARM_FEATURE_DSP`, beside the plain C.
    package var armDSP: Bool
    /// Instructions per layer on the target; nil means sparse layers are always lowered sparse.
    package var costModel: CostModel?

    package init(
        name: String, description: String, memoryLayout: MemoryLayout, hlsPragmas: Bool, tableAttribute: String,
        compiler: String, compilerFlags: [String], runner: [String], armDSP: Bool = false, costModel: CostModel? = nil
    ) {
        self.armDSP = armDSP
        self.costModel = costModel
        self.name = name
        self.description = description
        self.memoryLayout = memoryLayout
        self.hlsPragmas = hlsPragmas
        self.tableAttribute = tableAttribute
        self.compiler = compiler
        self.compilerFlags = compilerFlags
        self.runner = runner
    }
}
