// OpenBLAS picks its kernels once, when the library loads, from the CPU's model number. Debian
// 12's OpenBLAS (0.3.21) predates some CPUs it may run on (Sapphire Rapids, for one) and files
// them under its oldest x86-64 family, Prescott (SSE3): SGEMM then runs at a fifth of the speed
// the CPU's AVX-512 or AVX2 kernels reach, with nothing but the time to show for it. The library
// keeps its dispatch entry points public, so the choice is redone from the CPU's feature flags
// before the first product. A core chosen by the user with OPENBLAS_CORETYPE is left alone.
import CBLAS
import Foundation

package enum BLASSetup {
    /// Runs once per process, before the engine's first product.
    package static let once: Void = {
        openblas_set_num_threads(1)
        if getenv("OPENBLAS_CORETYPE") == nil, coreName == "Prescott", let better = bestCore(flags: cpuFlags()) {
            redispatch(to: better)
        }
    }()

    /// The kernel family OpenBLAS is using, as OpenBLAS names it.
    package static var coreName: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// Whether OpenBLAS's kernels give each row and output of a product the same bits however
    /// the product is split among calls and threads. Measured true for its SkylakeX kernels (an
    /// Intel Xeon, and an AMD EPYC with AVX-512) and its Cooperlake ones (which multiply Floats
    /// with SkylakeX's kernel; the same EPYC), and false for its Haswell and Zen kernels (a row
    /// multiplied with other rows, or with two threads, changes in the last bits); other
    /// families are not known to.
    package static var splitsRoundAlike: Bool {
        _ = once
        return ["SkylakeX", "Cooperlake"].contains(coreName)
    }

    /// The newest OpenBLAS x86-64 kernel family whose instructions every flag names: SkylakeX
    /// for AVX-512 (F, BW, VL, DQ), Haswell for AVX2 with FMA; nil when neither applies.
    package static func bestCore(flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The feature flags of the first processor in /proc/cpuinfo; empty where there is none.
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// OpenBLAS's own re-selection (dynamic-architecture builds only; a library built for one CPU
    /// has no such entry points and keeps its kernels): forget the table, then choose again,
    /// which reads OPENBLAS_CORETYPE. Child processes inherit the variable and start right.
    private static func redispatch(to core: String) {
        typealias Entry = @convention(c) () -> Void
        guard let quit = dlsym(nil, "gotoblas_dynamic_quit"),
              let initialize = dlsym(nil, "gotoblas_dynamic_init") else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(initialize, to: Entry.self)()
    }
}
