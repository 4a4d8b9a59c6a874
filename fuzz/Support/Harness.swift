// The entry point libFuzzer calls with each input. A target refuses damaged input only with the
// parser's own error type, and that error must name the file it was given: anything else (another
// error type, a message without the file, a trap, a hang, a huge allocation) is reported as a
// crash, and libFuzzer keeps the input.
import Foundation

/// Where a target writes its input when the parser reads files; one path per process, reused.
let inputFolder: URL = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-fuzz-\(getpid())")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}()

/// Writes `bytes` as `name` in this process's input folder, for parsers that take a URL.
func inputFile(_ bytes: [UInt8], named name: String) -> URL {
    let url = inputFolder.appendingPathComponent(name)
    guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else { fatalError("cannot write \(url.path)") }
    return url
}

/// With RLHF_FUZZ_VERBOSE set, each refusal is printed, so a replayed input shows its message.
let verbose = ProcessInfo.processInfo.environment["RLHF_FUZZ_VERBOSE"] != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeBufferPointer(start: start, count: count))
    do {
        try fuzz(bytes)
        if verbose { FileHandle.standardError.write(Data("read\n".utf8)) }
    } catch {
        let message = "\(error)"
        guard isTyped(error) else { fatalError("untyped error \(type(of: error)): \(message)") }
        guard message.contains(inputName) else { fatalError("the error does not name \(inputName): \(message)") }
        if verbose { FileHandle.standardError.write(Data("refused: \(message)\n".utf8)) }
    }
    return 0
}
