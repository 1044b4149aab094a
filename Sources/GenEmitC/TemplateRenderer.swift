// GenEmitC/TemplateRenderer.swift - Renders the C skeletons in Templates/c with typed contexts.

import GenSupport
import Mustache

/// The templates' texts by name relative to Templates/ without `.mustache` (`c/model.c`, ...).
package struct TemplateSources: Sendable {
    package var texts: [String: String]
    package init(texts: [String: String]) { self.texts = texts }

    /// Every template the emitter needs; a missing one is reported by name.
    package static let required = [
        "c/model.h", "c/model.c", "c/runtime.c", "c/layers/dense", "c/layers/dense_kofn", "c/layers/dense_kofn_hls", "c/layers/dense_kofn_sets", "c/layers/conv2d_kofn_sets", "c/layers/kofn_sets_body", "c/layers/dense_darb", "c/layers/conv2d_darb", "c/layers/darb_row", "c/layers/dsp_rows4", "c/layers/dsp_pairs", "c/layers/dsp_pairs_lanes", "c/layers/dsp_pair_step", "c/layers/kofn_rows", "c/layers/im2col", "c/layers/im2col_rows", "c/layers/im2col_padded_rows", "c/layers/conv2d", "c/layers/conv2d_lane_pairs", "c/layers/conv2d_pixel_pairs", "c/layers/conv2d_pooled",
        "c/layers/conv2d_kofn", "c/layers/conv2d_kernel", "c/layers/maxpool2d", "c/layers/avgpool2d", "c/layers/clamp", "c/verify_main.c",
        "build/model.mk", "build/model.cmake",
    ]
}

/// Compiled templates. Contexts are structs of pre-formatted strings, flags and string lists:
/// templates place text, they compute nothing.
package struct TemplateRenderer {
    private let library: MustacheLibrary

    /// - Throws: `GenFailure` naming the template that is missing or does not parse.
    package init(_ sources: TemplateSources, templatesDirectory: String) throws(GenFailure) {
        var library = MustacheLibrary()
        var problems: [Diagnostic] = []
        for name in TemplateSources.required {
            let file = templatesDirectory + "/" + name + ".mustache"
            guard let text = sources.texts[name] else {
                problems.append(Diagnostic(.error, "template '\(name)' is missing", at: SourceLocation(file: file)))
                continue
            }
            do {
                try library.register(text, named: name)
            } catch {
                problems.append(Diagnostic(.error, "template does not parse: \(error)", at: SourceLocation(file: file)))
            }
        }
        if !problems.isEmpty { throw GenFailure(diagnostics: problems) }
        self.library = library
    }

    package func render(_ context: Any, template: String) -> String {
        guard let text = library.render(context, withTemplate: template) else {
            preconditionFailure("template '\(template)' was checked at load time")
        }
        return text
    }
}
