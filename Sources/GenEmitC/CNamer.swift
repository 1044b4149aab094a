// GenEmitC/CNamer.swift - Every C identifier the emitter writes comes from here.

import GenLowering

/// Makes C identifiers from model and layer names: deterministic, valid and unique.
package struct CNamer: Sendable {
    /// The model prefix (`name` in the C API), already a valid identifier.
    package let prefix: String

    package init(prefix: String) { self.prefix = prefix }

    package var macroPrefix: String { prefix.uppercased() }
    package var headerGuard: String { macroPrefix + "_H" }
    package var headerFile: String { prefix + ".h" }
    package var sourceFile: String { prefix + ".c" }

    /// `tiny_l3_conv1`: the model prefix keeps static names apart from the public `tiny_infer`
    /// (whatever the layers are called), the layer index keeps two sanitized names apart.
    package func layerFunction(layerIndex: Int, layerName: String) -> String {
        prefix + "_l\(layerIndex)_" + sanitized(layerName)
    }

    package func table(layerIndex: Int, layerName: String, role: ConstantTable.Role) -> String {
        layerFunction(layerIndex: layerIndex, layerName: layerName) + "_" + role.rawValue
    }

    package var arena: String { prefix + "_arena" }
    package func pingPong(_ buffer: Int) -> String { prefix + "_buffer\(buffer)" }

    /// Text safe inside a C block comment: no comment delimiters, no line breaks, printable ASCII.
    package static func commentText(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            out.unicodeScalars.append(scalar.value >= 0x20 && scalar.value < 0x7F ? scalar : "?")
        }
        return out.replacingOccurrences(of: "*/", with: "* /").replacingOccurrences(of: "/*", with: "/ *")
    }

    /// Lower-case ASCII letters, digits and `_`; anything else becomes `_`.
    private func sanitized(_ name: String) -> String {
        var out = ""
        for scalar in name.lowercased().unicodeScalars {
            let isWord = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "_"
            out.unicodeScalars.append(isWord ? scalar : "_")
        }
        return out.isEmpty ? "layer" : out
    }
}
