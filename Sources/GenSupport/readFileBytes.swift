// GenSupport/readFileBytes.swift - Reads a whole regular file with POSIX calls, with a size limit.
//
// Foundation's FileManager.contents(atPath:) leaks a buffer per call on Linux (seen under the
// fuzzer's leak checker); a reader called millions of times must not, so this uses open/fstat/read.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read.
package enum FileReadError: Error, Sendable, Equatable {
    case notFound
    case notARegularFile
    case tooLarge(size: Int, limit: Int)
    case unreadable

    package var message: String {
        switch self {
        case .notFound: return "the file does not exist"
        case .notARegularFile: return "not a regular file"
        case .tooLarge(let size, let limit): return "the file has \(size) bytes, more than the limit of \(limit)"
        case .unreadable: return "the file cannot be read"
        }
    }
}

/// The bytes of the regular file at `path`, refusing files larger than `limit` bytes.
package func readFileBytes(_ path: String, limit: Int) -> Result<[UInt8], FileReadError> {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return .failure(errno == ENOENT ? .notFound : .unreadable) }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { return .failure(.unreadable) }
    guard (status.st_mode & S_IFMT) == S_IFREG else { return .failure(.notARegularFile) }
    let size = Int(status.st_size)
    guard size <= limit else { return .failure(.tooLarge(size: size, limit: limit)) }
    var bytes = [UInt8](repeating: 0, count: size)
    var offset = 0
    while offset < size {
        let count = bytes.withUnsafeMutableBytes { buffer in
            read(descriptor, buffer.baseAddress! + offset, size - offset)
        }
        guard count > 0 else { return .failure(.unreadable) }
        offset += count
    }
    return .success(bytes)
}
