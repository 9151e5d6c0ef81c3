#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Path handling for files named in the configuration: certificates and keys.
enum FilePaths {
    /// The process's current directory.
    static var currentDirectory: String { FileManager.default.currentDirectoryPath }

    /// `path` made absolute against `base` (itself made absolute against the current directory),
    /// with `.` and `..` components removed.
    static func resolve(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") {
            return Self.normalize(path)
        }
        let absoluteBase = base.hasPrefix("/") ? base : Self.currentDirectory + "/" + base
        return Self.normalize(absoluteBase + "/" + path)
    }

    /// The size of a regular file in bytes, or `nil` when it cannot be read.
    static func size(of path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    }

    /// The directory part of `path`: `"."` when it has none.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Removes empty, `.` and `..` components of an absolute path, without touching the file system.
    static func normalize(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// What stops the process from reading the file at `path`, or `nil` if nothing does.
    static func readProblem(_ path: String) -> String? {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else {
            return "file not found: \(path)"
        }
        let type = (try? manager.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        if type == .typeDirectory {
            return "is a directory, not a file: \(path)"
        }
        return manager.isReadableFile(atPath: path) ? nil : "file is not readable: \(path)"
    }

    /// What stops the process from using `path` as a directory it writes in (made when missing:
    /// its nearest existing ancestor must then be a writable directory), or `nil`.
    static func writableDirectoryProblem(_ path: String) -> String? {
        let manager = FileManager.default
        func isDirectory(_ path: String) -> Bool {
            ((try? manager.attributesOfItem(atPath: path))?[.type] as? FileAttributeType) == .typeDirectory
        }
        if manager.fileExists(atPath: path) {
            guard isDirectory(path) else { return "is not a directory: \(path)" }
            return manager.isWritableFile(atPath: path) ? nil : "directory is not writable: \(path)"
        }
        var ancestor = Self.directory(of: path)
        while !manager.fileExists(atPath: ancestor) {
            ancestor = Self.directory(of: ancestor)
        }
        guard isDirectory(ancestor) else { return "cannot be made: \(ancestor) is not a directory" }
        return manager.isWritableFile(atPath: ancestor) ? nil : "cannot be made: \(ancestor) is not writable"
    }

    /// The contents of the file at `path` as UTF-8 text.
    static func read(_ path: String) -> Result<String, SyntaxProblem> {
        if let problem = Self.readProblem(path) {
            return .failure(SyntaxProblem(problem))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(SyntaxProblem("cannot read file: \(path)"))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure(SyntaxProblem("file is not UTF-8 text: \(path)"))
        }
        return .success(text)
    }
}
