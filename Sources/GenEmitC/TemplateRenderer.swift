// GenEmitC/TemplateRenderer.swift - Renders the C skeletons in Templates/c with typed contexts.

import GenSupport
import Mustache

/// The templates' texts by relative name (`model.c`, `layers/dense`, ...), as read by the driver.
package struct TemplateSources: Sendable {
    package var texts: [String: String]
    package init(texts: [String: String]) { self.texts = texts }

    /// Every template the emitter needs; a missing one is reported by name.
    package static let required = [
        "model.h", "model.c", "runtime.c", "layers/dense", "layers/dense_kofn", "layers/conv2d",
        "layers/conv2d_kofn", "layers/maxpool2d", "layers/avgpool2d", "layers/clamp", "verify_main.c",
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
            let file = templatesDirectory + "/c/" + name + ".mustache"
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
