// The GGUF reader on small files written here byte by byte: metadata of every value type,
// tensor shapes, dequantization of each block format against the formulas worked by hand, and
// named errors for damaged files.
import Checkpoints
import Foundation
import Testing

/// Writes a GGUF v3 file: metadata entries (already encoded), then tensors at 32-byte offsets.
struct GGUFWriter {
    var metadata: [(key: String, type: UInt32, payload: [UInt8])] = []
    var tensors: [(name: String, dimensions: [UInt64], type: UInt32, bytes: [UInt8])] = []

    static func string(_ text: String) -> [UInt8] { little(UInt64(text.utf8.count)) + Array(text.utf8) }
    static func little<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func half(_ value: Float) -> [UInt8] { little(Float16(value).bitPattern) }

    func bytes() -> [UInt8] {
        var out = Array("GGUF".utf8) + Self.little(UInt32(3)) + Self.little(UInt64(tensors.count)) + Self.little(UInt64(metadata.count))
        for entry in metadata { out += Self.string(entry.key) + Self.little(entry.type) + entry.payload }
        var offset: UInt64 = 0
        for tensor in tensors {
            out += Self.string(tensor.name) + Self.little(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { out += Self.little(dimension) }
            out += Self.little(tensor.type) + Self.little(offset)
            offset += UInt64((tensor.bytes.count + 31) / 32 * 32)
        }
        while out.count % 32 != 0 { out.append(0) }
        for tensor in tensors {
            out += tensor.bytes
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    func write(named name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-\(UUID().uuidString)-\(name)")
        try Data(bytes()).write(to: url)
        return url
    }
}

extension GGUFWriter {
    mutating func set(_ key: String, _ type: UInt32, _ payload: [UInt8]) {
        metadata.removeAll { $0.key == key }
        metadata.append((key, type, payload))
    }

    mutating func set(_ key: String, string: String) { set(key, 8, Self.string(string)) }
    mutating func set(_ key: String, integer: Int) { set(key, 4, Self.little(UInt32(integer))) }
    mutating func set(_ key: String, float: Float) { set(key, 6, Self.little(float.bitPattern)) }

    static func strings(_ values: [String]) -> [UInt8] { little(UInt32(8)) + little(UInt64(values.count)) + values.flatMap(string) }

    /// A whole Llama under llama.cpp's names, in F32: width 8 in 2 heads of 4 sharing
    /// one key/value head, one block, SwiGLU 16, and the 4-token byte-level BPE vocabulary a, b,
    /// ab, Ġ with GPT-2's pre-tokenizer.
    static func tinyLlama() -> GGUFWriter {
        var writer = GGUFWriter()
        writer.set("general.architecture", string: "llama")
        for (key, value) in [("context_length", 16), ("embedding_length", 8), ("block_count", 1), ("feed_forward_length", 16),
                             ("attention.head_count", 2), ("attention.head_count_kv", 1)] {
            writer.set("llama." + key, integer: value)
        }
        writer.set("llama.attention.layer_norm_rms_epsilon", float: 1e-5)
        writer.set("tokenizer.ggml.model", string: "gpt2")
        writer.set("tokenizer.ggml.pre", string: "gpt-2")
        writer.set("tokenizer.ggml.tokens", 9, strings(["a", "b", "ab", "Ġ"]))
        writer.set("tokenizer.ggml.merges", 9, strings(["a b"]))
        let shapes: [(String, [UInt64])] = [
            ("token_embd.weight", [8, 4]), ("output_norm.weight", [8]), ("blk.0.attn_norm.weight", [8]), ("blk.0.attn_q.weight", [8, 8]),
            ("blk.0.attn_k.weight", [8, 4]), ("blk.0.attn_v.weight", [8, 4]), ("blk.0.attn_output.weight", [8, 8]), ("blk.0.ffn_norm.weight", [8]),
            ("blk.0.ffn_gate.weight", [8, 16]), ("blk.0.ffn_up.weight", [8, 16]), ("blk.0.ffn_down.weight", [16, 8]),
        ]
        writer.tensors = shapes.map { name, dimensions in
            let values: [Float] = (0..<Int(dimensions.reduce(1, *))).map { Float($0 % 7 - 3) / 10 }
            return (name, dimensions, 0, values.flatMap { little($0.bitPattern) })
        }
        return writer
    }
}

@Suite struct GGUFTests {
    @Test func readsMetadataOfEveryType() throws {
        var writer = GGUFWriter()
        writer.metadata = [
            ("general.architecture", 8, GGUFWriter.string("llama")),
            ("a.u8", 0, [200]), ("a.i8", 1, [0xFF]), ("a.u16", 2, GGUFWriter.little(UInt16(60_000))),
            ("a.i16", 3, GGUFWriter.little(Int16(-7))), ("a.u32", 4, GGUFWriter.little(UInt32(4_000_000_000))),
            ("a.i32", 5, GGUFWriter.little(Int32(-123_456))), ("a.f32", 6, GGUFWriter.little(Float(0.25).bitPattern)),
            ("a.bool", 7, [1]), ("a.u64", 10, GGUFWriter.little(UInt64(1) << 40)), ("a.i64", 11, GGUFWriter.little(Int64(-5))),
            ("a.f64", 12, GGUFWriter.little(Double(1e-5).bitPattern)),
            ("a.strings", 9, GGUFWriter.little(UInt32(8)) + GGUFWriter.little(UInt64(2)) + GGUFWriter.string("Ġt") + GGUFWriter.string("h e")),
        ]
        let file = try GGUFFile(contentsOf: try writer.write(named: "meta.gguf"))
        #expect(file.version == 3)
        #expect(file.metadata["general.architecture"] == .string("llama"))
        #expect(try file.integer("a.u8") == 200)
        #expect(try file.integer("a.i8") == -1)
        #expect(try file.integer("a.u16") == 60_000)
        #expect(try file.integer("a.i16") == -7)
        #expect(try file.integer("a.u32") == 4_000_000_000)
        #expect(try file.integer("a.i32") == -123_456)
        #expect(try file.number("a.f32") == 0.25)
        #expect(file.metadata["a.bool"] == .bool(true))
        #expect(try file.integer("a.u64") == 1 << 40)
        #expect(try file.integer("a.i64") == -5)
        #expect(try file.number("a.f64") == 1e-5)
        #expect(try file.strings("a.strings") == ["Ġt", "h e"])
        #expect(throws: CheckpointError.invalidField(path: file.url.path, field: "a.missing", reason: "is missing")) { try file.integer("a.missing") }
        #expect(throws: CheckpointError.invalidField(path: file.url.path, field: "a.u8", reason: "is not an array")) { try file.strings("a.u8") }
    }

    /// Each block format, with scales exactly representable in half precision so the expected
    /// values are exact: Q8_0 x = d·q; Q4_0 x = d·(nibble − 8); Q4_1 x = d·nibble + m; low
    /// nibbles are values 0–15 of a block, high nibbles 16–31.
    @Test func dequantizesEachFormat() throws {
        let q8: [Int8] = (0..<32).map { Int8($0 * 7 % 255 - 100) }
        let nibbles: [UInt8] = (0..<16).map { UInt8($0) | UInt8((15 - $0) << 4) }
        let floats: [Float] = [1.5, -2.25, 0, 1e-3]
        var writer = GGUFWriter()
        writer.tensors = [
            ("f32", [2, 2], 0, floats.flatMap { GGUFWriter.little($0.bitPattern) }),
            ("f16", [4], 1, floats.flatMap { GGUFWriter.half($0) }),
            ("q8_0", [32], 8, GGUFWriter.half(0.5) + q8.map { UInt8(bitPattern: $0) }),
            ("q4_0", [32], 2, GGUFWriter.half(0.25) + nibbles),
            ("q4_1", [32, 1], 3, GGUFWriter.half(0.125) + GGUFWriter.half(-1) + nibbles),
        ]
        let file = try GGUFFile(contentsOf: try writer.write(named: "quantized.gguf"))
        #expect(try file.tensorInfo("f32").shape == [2, 2])
        #expect(try file.tensorInfo("q4_1").shape == [1, 32])
        #expect(try file.floats("f32") == floats)
        #expect(try file.floats("f16") == floats.map { Float(Float16($0)) })
        #expect(try file.floats("q8_0") == q8.map { 0.5 * Float($0) })
        let low = (0..<16).map(Float.init), high = (0..<16).map { Float(15 - $0) }
        #expect(try file.floats("q4_0") == (low + high).map { 0.25 * ($0 - 8) })
        #expect(try file.floats("q4_1") == (low + high).map { 0.125 * $0 - 1 })
        #expect(throws: CheckpointError.shapeMismatch(path: file.url.path, tensor: "q4_1", expected: [32], found: [1, 32])) {
            try file.floats("q4_1", shape: [32])
        }
        #expect(throws: CheckpointError.missingTensor(path: file.url.path, tensor: "nope")) { try file.floats("nope") }
    }

    @Test func namesTheFaultOfDamagedFiles() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).gguf")
        #expect(throws: CheckpointError.missingFile(path: missing.path)) { try GGUFFile(contentsOf: missing) }

        let notGGUF = FileManager.default.temporaryDirectory.appendingPathComponent("not-\(UUID().uuidString).gguf")
        try Data("safetensors?".utf8).write(to: notGGUF)
        #expect(throws: CheckpointError.malformed(path: notGGUF.path, reason: "no GGUF magic number")) { try GGUFFile(contentsOf: notGGUF) }

        var writer = GGUFWriter()
        writer.tensors = [("w", [64], 3, GGUFWriter.half(1) + GGUFWriter.half(0) + [UInt8](repeating: 0, count: 16))]
        let truncated = try writer.write(named: "truncated.gguf")
        #expect(throws: CheckpointError.malformed(path: truncated.path, reason: "tensor w ([64], Q4_1) runs past the end of the file")) {
            try GGUFFile(contentsOf: truncated)
        }

        // Three whole Q8_0 blocks, but as two rows of 48 values: ggml quantises each row apart.
        writer.tensors = [("w", [48, 2], 8, [UInt8](repeating: 0, count: 3 * 34))]
        let splitRows = try writer.write(named: "split-rows.gguf")
        #expect(throws: CheckpointError.malformed(path: splitRows.path, reason: "tensor w ([48, 2], Q8_0) has rows of 48 values, not whole blocks of 32")) {
            try GGUFFile(contentsOf: splitRows)
        }

        writer.tensors = [("k", [32], 12, [UInt8](repeating: 0, count: 32))]
        let unknownType = try writer.write(named: "q4k.gguf")
        #expect(throws: CheckpointError.unsupportedQuantization(path: unknownType.path, tensor: "k", ggmlType: 12)) {
            try GGUFFile(contentsOf: unknownType)
        }

        // 17 MB of one-byte elements would be about 400 MB of values in memory.
        let length = 17_000_000
        writer.tensors = []
        writer.metadata = [("huge", 9, GGUFWriter.little(UInt32(0)) + GGUFWriter.little(UInt64(length)) + [UInt8](repeating: 1, count: length))]
        let huge = try writer.write(named: "huge-array.gguf")
        defer { try? FileManager.default.removeItem(at: huge) }
        #expect(throws: CheckpointError.invalidField(path: huge.path, field: "huge", reason: "has 17000000 elements, more than the 16000000 a model's metadata needs")) {
            try GGUFFile(contentsOf: huge)
        }

        let headerOnly = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(UUID().uuidString).gguf")
        try Data(Array(GGUFWriter().bytes().prefix(10))).write(to: headerOnly)
        #expect(throws: CheckpointError.malformed(path: headerOnly.path, reason: "ends inside the header (byte 8, 8 more needed)")) {
            try GGUFFile(contentsOf: headerOnly)
        }
    }
}
