// Errors from reading and writing checkpoint files: each names the file and the tensor or
// field at fault, so a wrong folder is diagnosed from the message alone.

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupportedType(path: String, tensor: String, type: String)
    case unsupportedQuantization(path: String, tensor: String, ggmlType: UInt32)
    case missingTensor(path: String, tensor: String)
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    case invalidField(path: String, field: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "\(path): file not found"
        case let .unreadable(path, reason):
            return "\(path): cannot be read (\(reason))"
        case let .malformed(path, reason):
            return "\(path): malformed (\(reason))"
        case let .unsupportedType(path, tensor, type):
            return "\(path): tensor \(tensor) has unsupported dtype \(type) (F32, F16 and BF16 are read)"
        case let .unsupportedQuantization(path, tensor, ggmlType):
            return "\(path): tensor \(tensor) has ggml type \(ggmlType) (F32, F16, BF16, Q4_0, Q4_1 and Q8_0 are read)"
        case let .missingTensor(path, tensor):
            return "\(path): tensor \(tensor) is missing"
        case let .shapeMismatch(path, tensor, expected, found):
            return "\(path): tensor \(tensor) has shape \(found), the model needs \(expected)"
        case let .invalidField(path, field, reason):
            return "\(path): field \"\(field)\" \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): could not be written (\(reason))"
        }
    }
}
